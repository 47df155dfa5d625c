"""Does generated data help a classifier? One classifier, one condition, one report.

`evaluate_condition(EvalConfig(...))` trains the benchmark's classifier on one data case
(few images per class, or rare classes) under one condition (plain, classic Keras
augmentation, oversampling, SMOTE, a GAN's samples, style transfer with pseudo-labels, ...)
and reports on the real test split. Each condition is one record of the registry
(`tfgenaug.evaluation.registry`), all of them registered in `tfgenaug.evaluation.catalog`.
`python -m tfgenaug.bin.evaluate` runs it from the command line and
`benchmarks/efficacy.py` runs the whole table.
"""

from tfgenaug.evaluation.batches import classic_augmentation
from tfgenaug.evaluation.batches import resample
from tfgenaug.evaluation.batches import training_batches
from tfgenaug.evaluation.catalog import CONDITIONS
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.config import EvalConfig
from tfgenaug.evaluation.generator_runs import GENERATOR_RUNS
from tfgenaug.evaluation.generator_runs import generator_run_fields
from tfgenaug.evaluation.registry import Condition
from tfgenaug.evaluation.registry import generator_trainer
from tfgenaug.evaluation.report import report_markdown
from tfgenaug.evaluation.report import write_report
from tfgenaug.evaluation.runner import evaluate_condition
from tfgenaug.evaluation.runner import select_training_data

__all__ = [
    "CONDITIONS",
    "GENERATOR_RUNS",
    "Condition",
    "EvalConfig",
    "classic_augmentation",
    "evaluate_condition",
    "generator_run_fields",
    "generator_trainer",
    "report_markdown",
    "resample",
    "select_training_data",
    "train_classifier",
    "training_batches",
    "write_report",
]
