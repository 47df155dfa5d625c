"""Tests for tfgenaug.data.value_range."""

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.data import assert_in_value_range
from tfgenaug.data import check_value_range
from tfgenaug.data import from_model_range
from tfgenaug.data import to_model_range


def test_check_value_range_returns_floats():
    assert check_value_range((0, 255)) == (0.0, 255.0)
    assert check_value_range([-1, 1]) == (-1.0, 1.0)


@pytest.mark.parametrize(
    "bad", [(255, 0), (1, 1), (0,), (0, 1, 2), "ab", 255, (0, float("nan")), (True, 2), None]
)
def test_check_value_range_rejects(bad):
    with pytest.raises(ValueError, match=r"value_range must be \(low, high\) with low < high"):
        check_value_range(bad)


def test_reversed_range_message_shows_value():
    with pytest.raises(ValueError, match=r"got \(255, 0\)"):
        to_model_range(np.zeros(3), (255, 0))


def test_uint8_endpoints_map_exactly():
    pixels = np.array([0, 51, 255], np.uint8)
    out = to_model_range(pixels, (0, 255))
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[[0, 2]], [-1.0, 1.0])
    np.testing.assert_allclose(out[1], 51 / 255 * 2 - 1, rtol=1e-6)
    np.testing.assert_array_equal(from_model_range(np.array([-1.0, 1.0]), (0, 255)), [0, 255])


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1), (-3.5, 7.25)])
def test_round_trip_numpy(value_range):
    low, high = value_range
    x = np.random.default_rng(0).uniform(low, high, size=(4, 5, 5, 3)).astype(np.float32)
    y = to_model_range(x, value_range)
    assert y.min() >= -1.0 and y.max() <= 1.0
    back = from_model_range(y, value_range)
    assert back.shape == x.shape and back.dtype == np.float32
    np.testing.assert_allclose(back, x, rtol=1e-5, atol=1e-5 * (high - low))


def test_tensor_in_tensor_out():
    x = tf.constant([[0, 128, 255]], tf.uint8)
    y = to_model_range(x, (0, 255))
    assert tf.is_tensor(y) and y.dtype == tf.float32
    np.testing.assert_allclose(y.numpy(), [[-1.0, 128 / 255 * 2 - 1, 1.0]], atol=1e-6)
    np.testing.assert_allclose(from_model_range(y, (0, 255)).numpy(), [[0, 128, 255]], atol=1e-4)


def test_works_inside_dataset_map():
    pixels = np.array([[0, 255], [255, 0]], np.uint8)
    ds = tf.data.Dataset.from_tensor_slices(pixels)
    mapped = ds.map(lambda x: to_model_range(x, (0, 255)))
    assert mapped.element_spec.dtype == tf.float32
    np.testing.assert_array_equal(np.stack(list(mapped.as_numpy_iterator())), [[-1, 1], [1, -1]])
    back = mapped.map(lambda x: from_model_range(x, (0, 1)))
    np.testing.assert_array_equal(np.stack(list(back.as_numpy_iterator())), [[0, 1], [1, 0]])


def test_assert_in_value_range_passes_values_inside_and_within_the_slack():
    images = np.array([[-0.4, 0.0], [1.0, 1.4]], "float32")
    np.testing.assert_array_equal(assert_in_value_range(images, (0, 1)).numpy(), images)


@pytest.mark.parametrize("value", [200.0, -0.6, 1.6])
def test_assert_in_value_range_names_the_range(value):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"images must lie in value_range=\(0, 1\)"):
        assert_in_value_range(np.array([0.5, value], "float32"), (0, 1))


def test_assert_in_value_range_fires_inside_dataset_map():
    dataset = tf.data.Dataset.from_tensors(np.full((2, 2), 255.0, "float32")).map(
        lambda x: assert_in_value_range(x, (-1, 1))
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"value_range=\(-1, 1\)"):
        next(iter(dataset))
