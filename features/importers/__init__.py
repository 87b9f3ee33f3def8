"""Dataset importers: raw interaction logs → canonical ``LearningEvent``s in the lake."""

from features.importers.assistments import read_assistments_csv
from features.importers.base import (
    DatasetImportError,
    ImportReport,
    OnError,
    ParsedRow,
    RowError,
    file_digest,
    run_import,
)
from features.importers.ednet import read_ednet_kt1
from features.importers.generic import read_generic_csv
from features.importers.kt_folds import (
    import_kt_dataset,
    is_kt_dataset_imported,
    kt_dataset_table,
)

__all__ = [
    "DatasetImportError",
    "ImportReport",
    "OnError",
    "ParsedRow",
    "RowError",
    "file_digest",
    "import_kt_dataset",
    "is_kt_dataset_imported",
    "kt_dataset_table",
    "read_assistments_csv",
    "read_ednet_kt1",
    "read_generic_csv",
    "run_import",
]
