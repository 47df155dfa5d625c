"""Moved to `tfgenaug.runs`; this module re-exports the generator run's names.

`TrainConfig` lives in `tfgenaug.runs.generator_config`, `train_generator` in
`tfgenaug.runs.generator_run`, `build_trainer` and `dada_schedule` in
`tfgenaug.runs.generator_recipes`, label agreement in `tfgenaug.runs.label_agreement`,
the fit loop and `training_steps` in `tfgenaug.runs.fit_loop`, `training_stream` in
`tfgenaug.runs.stream`. Import them from `tfgenaug.runs`.
"""

from tfgenaug.runs.fit_loop import enable_determinism
from tfgenaug.runs.fit_loop import training_steps
from tfgenaug.runs.generator_config import TrainConfig
from tfgenaug.runs.generator_recipes import DEFAULT_LEARNING_RATES
from tfgenaug.runs.generator_recipes import build_trainer
from tfgenaug.runs.generator_recipes import dada_schedule
from tfgenaug.runs.generator_run import train_generator
from tfgenaug.runs.label_agreement import measure_label_agreement
from tfgenaug.runs.stream import training_stream
from tfgenaug.strategies import STRATEGIES
from tfgenaug.strategies import make_strategy

__all__ = [
    "DEFAULT_LEARNING_RATES",
    "STRATEGIES",
    "TrainConfig",
    "build_trainer",
    "dada_schedule",
    "enable_determinism",
    "make_strategy",
    "measure_label_agreement",
    "train_generator",
    "training_steps",
    "training_stream",
]
