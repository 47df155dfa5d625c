"""Does generated data help a classifier? One classifier, one condition, one report.

`evaluate_condition(EvalConfig(...))` trains the benchmark's classifier on one data case
(few images per class, or rare classes) under one condition (plain, classic Keras
augmentation, oversampling, SMOTE, a GAN's samples, style transfer with pseudo-labels, ...)
and reports on the real test split.
`python -m tfgenaug.bin.evaluate` runs it from the command line and
`benchmarks/efficacy.py` runs the whole table.
"""

from tfgenaug.evaluation.conditions import CONDITIONS
from tfgenaug.evaluation.conditions import classic_augmentation
from tfgenaug.evaluation.conditions import generator_run_fields
from tfgenaug.evaluation.conditions import generator_trainer
from tfgenaug.evaluation.conditions import resample
from tfgenaug.evaluation.conditions import training_batches
from tfgenaug.evaluation.runner import EvalConfig
from tfgenaug.evaluation.runner import evaluate_condition
from tfgenaug.evaluation.runner import report_markdown
from tfgenaug.evaluation.runner import select_training_data
from tfgenaug.evaluation.runner import write_report

__all__ = [
    "CONDITIONS",
    "EvalConfig",
    "classic_augmentation",
    "evaluate_condition",
    "generator_run_fields",
    "generator_trainer",
    "report_markdown",
    "resample",
    "select_training_data",
    "training_batches",
    "write_report",
]
