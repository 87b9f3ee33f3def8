"""Data layer: canonical events, dataset importers, learner simulator, lake I/O, ingestion, feature store."""
