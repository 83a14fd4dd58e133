"""Studies from other tools, opened for analysis only: their files are never written."""

from engine.interop.frames import trials_dataframe, trials_table
from engine.interop.optuna_rdb import (
    ForeignStudy,
    OptunaStorageError,
    is_optuna_storage,
    list_studies,
    read_study,
)

__all__ = ["ForeignStudy", "OptunaStorageError", "is_optuna_storage", "list_studies",
           "read_study", "trials_dataframe", "trials_table"]
