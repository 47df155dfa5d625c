"""Keras callbacks for generative trainers: sample grids, checkpoints with resume, NaN stops,
learning rates, a progress bar that ends where the run does."""

from tfgenaug.callbacks.checkpoint import StopAtStep
from tfgenaug.callbacks.checkpoint import TrainingCheckpoint
from tfgenaug.callbacks.checkpoint import first_non_finite_variable
from tfgenaug.callbacks.checkpoint import train_steps_of
from tfgenaug.callbacks.learning_rates import LearningRates
from tfgenaug.callbacks.nonfinite import NonFiniteLossError
from tfgenaug.callbacks.nonfinite import StopOnNonFinite
from tfgenaug.callbacks.progress import RunProgress
from tfgenaug.callbacks.sample_grid import SampleGrid
from tfgenaug.callbacks.sample_grid import image_grid
from tfgenaug.callbacks.sample_grid import sample_grid
from tfgenaug.callbacks.sample_grid import save_png

__all__ = [
    "LearningRates",
    "NonFiniteLossError",
    "RunProgress",
    "SampleGrid",
    "StopAtStep",
    "StopOnNonFinite",
    "TrainingCheckpoint",
    "first_non_finite_variable",
    "image_grid",
    "sample_grid",
    "save_png",
    "train_steps_of",
]
