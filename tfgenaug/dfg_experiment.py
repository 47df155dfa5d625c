"""Moved to `tfgenaug.runs`; this module re-exports DFG's transfer run's names.

`DFGConfig` lives in `tfgenaug.runs.dfg_config`, `prepare_data` and `DFGData` in
`tfgenaug.runs.dfg_data`, the source model (`build_split`, `transfer_weights`,
`pretrain_or_load_source`) in `tfgenaug.runs.dfg_source`, `run_dfg`,
`build_target_trainer`, `evaluate_classifier` and `export_models` in
`tfgenaug.runs.dfg_run`; `select_classes` and `to_channels` in `tfgenaug.data`.
"""

from tfgenaug.data import select_classes
from tfgenaug.data import to_channels
from tfgenaug.runs.dfg_config import ARCHITECTURES
from tfgenaug.runs.dfg_config import METHODS
from tfgenaug.runs.dfg_config import DFGConfig
from tfgenaug.runs.dfg_data import DFGData
from tfgenaug.runs.dfg_data import prepare_data
from tfgenaug.runs.dfg_run import DELTA_WEIGHT
from tfgenaug.runs.dfg_run import build_target_trainer
from tfgenaug.runs.dfg_run import evaluate_classifier
from tfgenaug.runs.dfg_run import export_models
from tfgenaug.runs.dfg_run import run_dfg
from tfgenaug.runs.dfg_source import build_split
from tfgenaug.runs.dfg_source import pretrain_or_load_source
from tfgenaug.runs.dfg_source import transfer_weights

__all__ = [
    "ARCHITECTURES",
    "DELTA_WEIGHT",
    "METHODS",
    "DFGConfig",
    "DFGData",
    "build_split",
    "build_target_trainer",
    "evaluate_classifier",
    "export_models",
    "prepare_data",
    "pretrain_or_load_source",
    "run_dfg",
    "select_classes",
    "to_channels",
    "transfer_weights",
]
