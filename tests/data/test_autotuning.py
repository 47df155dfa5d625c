"""tfgenaug.data.without_autotuning and the training streams that use it."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug import data
from tfgenaug.evaluation.batches import BatchStream
from tfgenaug.evaluation.conditions.filtered import half_and_half_batches
from tfgenaug.runs.stream import training_stream
from tfgenaug.trainers.compile_path import probe_dataset

IMAGES = np.linspace(-1, 1, 16 * 4 * 4).reshape(16, 4, 4, 1).astype(np.float32)
LABELS = np.arange(16, dtype=np.int32) % 2


def test_autotuning_is_off_and_the_elements_are_unchanged():
    stream = tf.data.Dataset.range(10).map(lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE)
    assert stream.options().autotune.enabled is not False
    quiet = data.without_autotuning(stream.prefetch(tf.data.AUTOTUNE))
    assert quiet.options().autotune.enabled is False
    assert list(quiet.as_numpy_iterator()) == list(stream.as_numpy_iterator())


@pytest.mark.parametrize("bad", [[1, 2, 3], np.zeros(3), None])
def test_a_non_dataset_is_refused_naming_the_argument(bad):
    with pytest.raises(TypeError, match=f"dataset must be a tf.data.Dataset; got "
                                         f"{type(bad).__name__}"):
        data.without_autotuning(bad)


def _pairs():
    return tf.data.Dataset.from_tensor_slices((IMAGES, LABELS))


@pytest.mark.parametrize("build", [
    lambda: training_stream(_pairs(), batch_size=4, seed=0, start_step=0),
    lambda: data.same_class_pairs(IMAGES, LABELS, batch_size=4),
    lambda: data.semi_supervised_batches(_pairs(), _pairs(), batch_size=4),
    lambda: BatchStream()(IMAGES, LABELS, batch_size=4, seed=0, num_classes=2),
    lambda: probe_dataset(IMAGES, LABELS, batch_size=4),
    lambda: probe_dataset(_pairs().batch(4)),
    lambda: half_and_half_batches((IMAGES, LABELS), (IMAGES, LABELS), batch_size=4, seed=0),
], ids=["training_stream", "same_class_pairs", "semi_supervised_batches",
        "evaluation_batch_stream", "compile_path_probe_arrays", "compile_path_probe_dataset",
        "filtered_half_and_half"])
def test_every_stream_a_fit_trains_on_has_autotuning_off(build):
    stream = build()
    assert stream.options().autotune.enabled is False
    next(iter(stream))  # still yields
