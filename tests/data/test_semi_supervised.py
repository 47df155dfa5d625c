"""semi_supervised_batches: fixed labelled share, -1 on the rest, seeded, clear errors."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.data import UNLABELLED
from tfgenaug.data import semi_supervised_batches


def pairs(n, value=0.0, shape=(8, 8, 1), classes=3):
    images = np.full((n, *shape), value, "float32") + np.arange(n)[:, None, None, None] / 100
    labels = (np.arange(n) % classes).astype("int32")
    return tf.data.Dataset.from_tensor_slices((images, labels))


def take(ds, count):
    return [(np.asarray(x), np.asarray(y)) for x, y in ds.take(count)]


def test_each_batch_has_the_labelled_share_first_and_unlabelled_after():
    labelled = pairs(6, value=0.5)
    pool = pairs(40, value=-0.5).map(lambda image, label: image)  # images only
    for images, labels in take(semi_supervised_batches(labelled, pool, 10, 0.3, seed=1), 8):
        assert images.shape == (10, 8, 8, 1) and labels.dtype == np.int32
        assert (labels[:3] >= 0).all() and (labels[3:] == UNLABELLED).all()
        assert (images[:3] > 0).all() and (images[3:] < 0).all()  # the right images
        for image, label in zip(images[:3], labels[:3], strict=True):
            assert round((image[0, 0, 0] - 0.5) * 100) % 3 == label  # pairs stay paired


def test_the_labelled_set_repeats_and_the_pool_is_covered_in_seeded_orders():
    labelled, pool = pairs(4), pairs(12, value=-0.5)  # (image, label) pool: labels dropped
    batches = take(semi_supervised_batches(labelled, pool, 8, seed=3), 3)
    seen = np.concatenate([images[4:, 0, 0, 0] for images, _ in batches])
    np.testing.assert_allclose(np.sort(seen), np.sort(-0.5 + np.arange(12) / 100), atol=1e-6)
    again = take(semi_supervised_batches(labelled, pool, 8, seed=3), 3)
    other = take(semi_supervised_batches(labelled, pool, 8, seed=4), 3)
    np.testing.assert_array_equal(batches[0][0], again[0][0])
    assert not np.array_equal(batches[0][0], other[0][0])


@pytest.mark.parametrize(
    "kwargs, message",
    [({"batch_size": 1}, "batch_size must be an int >= 2; got 1"),
     ({"labelled_share": 1.0}, r"labelled_share must be in \(0, 1\); got 1.0"),
     ({"labelled_share": 0.01}, "leaves 0 labelled images a batch"),
     ({"unlabelled": pairs(0)}, "unlabelled has no images"),
     ({"unlabelled": pairs(5, shape=(16, 16, 1))}, r"unlabelled images are \(16, 16, 1\), "
                                                   r"labelled ones \(8, 8, 1\)"),
     ({"labelled": pairs(4).map(lambda x, y: (x, y - 1))}, "labelled must hold class ids >= 0"),
     ({"unlabelled": np.zeros((4, 8, 8, 1))}, "unlabelled must be an unbatched tf.data.Dataset")],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"labelled": pairs(4), "unlabelled": pairs(8), "batch_size": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        semi_supervised_batches(**arguments)
