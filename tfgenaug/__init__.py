"""tfgenaug: generative data augmentation for TensorFlow and Keras 3.

Train a class-conditional generator on the few labelled images you have, then feed its
samples into a classifier's `tf.data` pipeline.
"""

__version__ = "0.1.0"

from tfgenaug import callbacks  # noqa: E402
from tfgenaug import data  # noqa: E402
from tfgenaug import evaluation  # noqa: E402
from tfgenaug import explain  # noqa: E402
from tfgenaug import layers  # noqa: E402
from tfgenaug import metrics  # noqa: E402
from tfgenaug import networks  # noqa: E402
from tfgenaug import savedmodels  # noqa: E402
from tfgenaug import selftrain  # noqa: E402
from tfgenaug import styletransfer  # noqa: E402
from tfgenaug import trainers  # noqa: E402

__all__ = [
    "callbacks",
    "data",
    "evaluation",
    "explain",
    "layers",
    "metrics",
    "networks",
    "savedmodels",
    "selftrain",
    "styletransfer",
    "trainers",
]
