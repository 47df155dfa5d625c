"""Tests for tfgenaug.data.sampling: as_numpy, class_counts, few_shot, imbalance."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.data import as_numpy
from tfgenaug.data import class_counts
from tfgenaug.data import few_shot
from tfgenaug.data import imbalance


def _toy(sizes=(30, 20, 25, 15), seed=0):
    """A dataset whose images encode their own position, so selections can be traced back."""
    labels = np.concatenate([np.full(n, k, np.int32) for k, n in enumerate(sizes)])
    labels = np.random.default_rng(seed).permutation(labels)
    images = np.broadcast_to(
        np.arange(len(labels), dtype=np.float32)[:, None, None, None], (len(labels), 2, 2, 1)
    ).copy()
    return tf.data.Dataset.from_tensor_slices((images, labels)), images, labels


def test_as_numpy_shapes_and_dtypes():
    ds, images, labels = _toy()
    x, y = as_numpy(ds.map(lambda image, label: (image, tf.cast(label, tf.int64))))
    assert x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_as_numpy_empty_and_batched():
    ds, _, _ = _toy()
    x, y = as_numpy(ds.take(0))
    assert x.shape == (0, 2, 2, 1) and y.shape == (0,)
    with pytest.raises(ValueError, match="unbatched"):
        as_numpy(ds.batch(4))


def test_class_counts():
    ds, _, _ = _toy()
    counts = class_counts(ds, 6)
    np.testing.assert_array_equal(counts, [30, 20, 25, 15, 0, 0])
    with pytest.raises(ValueError, match=r"label 3, outside \[0, num_classes\)"):
        class_counts(ds, 3)
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        class_counts(ds, 0)


@pytest.mark.parametrize("count", [1, 7, 15])
def test_few_shot_exact_count_per_class(count):
    ds, images, labels = _toy()
    subset = few_shot(ds, count, seed=3)
    x, y = as_numpy(subset)
    np.testing.assert_array_equal(np.bincount(y), [count] * 4)
    positions = x[:, 0, 0, 0].astype(int)
    assert len(set(positions)) == 4 * count  # no duplicates
    np.testing.assert_array_equal(labels[positions], y)  # images still match their labels


def test_few_shot_deterministic_and_seeded():
    ds, _, _ = _toy()
    first = as_numpy(few_shot(ds, 5, seed=1))
    again = as_numpy(few_shot(ds, 5, seed=1))
    other = as_numpy(few_shot(ds, 5, seed=2))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert set(first[0][:, 0, 0, 0]) != set(other[0][:, 0, 0, 0])


def test_few_shot_is_shuffled_not_sorted_by_class():
    ds, _, _ = _toy()
    _, y = as_numpy(few_shot(ds, 10, seed=0))
    assert np.any(np.diff(y) < 0)  # a class-sorted order would never decrease


def test_few_shot_count_too_large_message():
    ds, _, _ = _toy()
    with pytest.raises(ValueError) as error:
        few_shot(ds, 16)
    assert str(error.value) == (
        "count=16 is larger than the smallest class (class 3 has 15 images)"
    )


@pytest.mark.parametrize("count", [0, -2, 2.5, True, "3"])
def test_few_shot_rejects_bad_count(count):
    ds, _, _ = _toy()
    with pytest.raises(ValueError, match="count must be a positive int"):
        few_shot(ds, count)


@pytest.mark.parametrize("ratio", [0.1, 0.5, 1.0])
def test_imbalance_counts(ratio):
    ds, images, labels = _toy()
    rare = imbalance(ds, [1, 3], ratio, seed=0)
    x, y = as_numpy(rare)
    expected = np.array([30, 20, 25, 15])
    target = max(1, int(ratio * 30))
    expected[[1, 3]] = np.minimum(target, expected[[1, 3]])
    np.testing.assert_array_equal(np.bincount(y, minlength=4), expected)
    np.testing.assert_array_equal(class_counts(rare, 4), expected)
    assert int(rare.cardinality()) == expected.sum()
    positions = x[:, 0, 0, 0].astype(int)
    assert np.all(np.diff(positions) > 0)  # a subset in the original order
    np.testing.assert_array_equal(labels[positions], y)


def test_imbalance_deterministic():
    ds, _, _ = _toy()
    a = as_numpy(imbalance(ds, [0], 0.2, seed=4))[0]
    b = as_numpy(imbalance(ds, [0], 0.2, seed=4))[0]
    c = as_numpy(imbalance(ds, [0], 0.2, seed=5))[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_imbalance_keeps_at_least_one():
    ds, _, _ = _toy()
    _, y = as_numpy(imbalance(ds, [2], 0.001))
    assert np.sum(y == 2) == 1


@pytest.mark.parametrize("ratio", [0, 1.5, -0.1, "0.5"])
def test_imbalance_rejects_bad_ratio(ratio):
    ds, _, _ = _toy()
    with pytest.raises(ValueError, match=r"ratio must be a number in \(0, 1\]"):
        imbalance(ds, [1], ratio)


@pytest.mark.parametrize("classes", [[10], [], [1, 1], [-1], "1", [1.0]])
def test_imbalance_rejects_bad_classes(classes):
    ds = tf.data.Dataset.from_tensor_slices(
        (np.zeros((20, 2, 2, 1), np.float32), np.arange(20, dtype=np.int32) % 10)
    )
    with pytest.raises(ValueError, match=r"minority_classes must be .* class ids in \[0, 10\)"):
        imbalance(ds, classes, 0.5)


def test_imbalance_num_classes_argument():
    ds, _, _ = _toy()  # labels 0..3
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        imbalance(ds, [5], 0.5)
    _, y = as_numpy(imbalance(ds, [5], 0.5, num_classes=6))
    assert len(y) == 90
