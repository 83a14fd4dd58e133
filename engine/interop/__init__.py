"""Studies from other tools, opened for analysis only: their files are never written."""

from engine.interop.foreign import foreign_kind, list_foreign_studies, read_foreign
from engine.interop.frames import trials_dataframe, trials_table
from engine.interop.optuna_journal import (
    is_optuna_journal,
    list_journal_studies,
    read_journal_study,
)
from engine.interop.optuna_rdb import (
    ForeignStudy,
    OptunaStorageError,
    is_optuna_storage,
    list_studies,
    read_study,
)

__all__ = ["ForeignStudy", "OptunaStorageError", "foreign_kind", "is_optuna_journal",
           "is_optuna_storage", "list_foreign_studies", "list_journal_studies", "list_studies",
           "read_foreign", "read_journal_study", "read_study", "trials_dataframe",
           "trials_table"]
