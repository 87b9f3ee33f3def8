"""Pure ML models (numpy, torch, scikit-learn, implicit): knowledge tracing, recommenders.

``models.kt``: the knowledge-tracing zoo behind one interface (BKT, IRT, PFA, Best-LR, DKT,
SAKT, AKT, simpleKT, DKVMN) — see its docstring. ``models.metrics``: AUC, accuracy, log-loss.
"""
