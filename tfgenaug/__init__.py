"""tfgenaug: generative data augmentation for TensorFlow and Keras 3.

Train a class-conditional generator on the few labelled images you have, then feed its
samples into a classifier's `tf.data` pipeline.
"""

from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import evaluation
from tfgenaug import explain
from tfgenaug import layers
from tfgenaug import metrics
from tfgenaug import networks
from tfgenaug import runs
from tfgenaug import savedmodels
from tfgenaug import selftrain
from tfgenaug import styletransfer
from tfgenaug import trainers
from tfgenaug.version import __version__  # noqa: F401 - the package version, re-exported

__all__ = [
    "callbacks",
    "data",
    "evaluation",
    "explain",
    "layers",
    "metrics",
    "networks",
    "runs",
    "savedmodels",
    "selftrain",
    "styletransfer",
    "trainers",
]
