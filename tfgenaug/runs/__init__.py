"""Runs: train a generator or DFG's transfer model on a data case, resumably, and report.

- `train_generator(TrainConfig(...))` trains a class-conditional generator
  (`generator_run`); `run_dfg(DFGConfig(...))` runs DFG's transfer experiment (`dfg_run`).
- Both select their images with `tfgenaug.data.select`, then go through one resumable
  fit loop (`fit_loop.fit_run`) on one seeded batch stream (`stream.training_stream`).
- `model_dir` owns the run-directory format: `config.json` and the checkpoints, read
  back by `read_run_config`, `trainer_from_model_dir` and `export_from_model_dir`.
"""

from tfgenaug.runs.dfg_config import ARCHITECTURES
from tfgenaug.runs.dfg_config import METHOD_SPECIFIC_FIELDS
from tfgenaug.runs.dfg_config import METHODS
from tfgenaug.runs.dfg_config import DFGConfig
from tfgenaug.runs.dfg_data import DFGData
from tfgenaug.runs.dfg_data import prepare_data
from tfgenaug.runs.dfg_run import run_dfg
from tfgenaug.runs.fit_loop import enable_determinism
from tfgenaug.runs.fit_loop import training_steps
from tfgenaug.runs.generator_config import TrainConfig
from tfgenaug.runs.generator_recipes import DEFAULT_LEARNING_RATES
from tfgenaug.runs.generator_recipes import build_trainer
from tfgenaug.runs.generator_recipes import dada_schedule
from tfgenaug.runs.generator_run import train_generator
from tfgenaug.runs.label_agreement import measure_label_agreement
from tfgenaug.runs.model_dir import export_from_model_dir
from tfgenaug.runs.model_dir import read_run_config
from tfgenaug.runs.model_dir import trainer_from_model_dir
from tfgenaug.runs.stream import training_stream

__all__ = [
    "ARCHITECTURES",
    "DEFAULT_LEARNING_RATES",
    "METHODS",
    "METHOD_SPECIFIC_FIELDS",
    "DFGConfig",
    "DFGData",
    "TrainConfig",
    "build_trainer",
    "dada_schedule",
    "enable_determinism",
    "export_from_model_dir",
    "measure_label_agreement",
    "prepare_data",
    "read_run_config",
    "run_dfg",
    "train_generator",
    "trainer_from_model_dir",
    "training_steps",
    "training_stream",
]
