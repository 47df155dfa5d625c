"""Keras callbacks for generative trainers: sample grids and checkpoints with resume."""

from tfgenaug.callbacks.checkpoint import StopAtStep
from tfgenaug.callbacks.checkpoint import TrainingCheckpoint
from tfgenaug.callbacks.sample_grid import SampleGrid
from tfgenaug.callbacks.sample_grid import image_grid
from tfgenaug.callbacks.sample_grid import sample_grid
from tfgenaug.callbacks.sample_grid import save_png

__all__ = [
    "SampleGrid",
    "StopAtStep",
    "TrainingCheckpoint",
    "image_grid",
    "sample_grid",
    "save_png",
]
