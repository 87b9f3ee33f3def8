"""Data layer: events, dataset importers, learner simulator, lake I/O, ingestion, features."""
