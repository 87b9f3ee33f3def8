"""MLflow tracking and registry: pyfunc wrappers, the promotion gate, champion/challenger aliases.

Registered models (names from ``LEARNLOOP_MLFLOW__*``): ``learnloop-kt`` (knowledge tracing)
and ``learnloop-rec`` (recommender). A new version gets the alias ``challenger``; ``champion``
moves only when the gate passes or by ``learnloop model promote|rollback``; every decision is
recorded with its reasons (version tags and description, a run in the ``<experiment>-decisions``
experiment, and ``<data_dir>/mlflow/decisions.jsonl``).

Serving loads ``models:/learnloop-kt@champion`` with ``mlflow.pyfunc.load_model`` (a DataFrame
API) or natively with :func:`pipelines.registry.loading.load_kt` (the ``models.kt`` model and its
vocabulary, for the online state API).
"""
