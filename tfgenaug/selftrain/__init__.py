"""Self-training with pseudo-labels: grow a labelled set from an unlabelled (or generated) pool.

Works on NumPy arrays; for `tf.data` pipelines use `tfgenaug.data.as_numpy` first.
"""

from tfgenaug.selftrain.loop import SelfTrainResult
from tfgenaug.selftrain.loop import select_confident
from tfgenaug.selftrain.loop import self_train
from tfgenaug.selftrain.pool import generated_pool

__all__ = ["SelfTrainResult", "generated_pool", "select_confident", "self_train"]
