"""Drift monitoring: feature drift (PSI, KS), prediction drift, concept drift (rolling AUC of the
champion on newly labelled events), an HTML report, Prometheus gauges and the retraining trigger."""
