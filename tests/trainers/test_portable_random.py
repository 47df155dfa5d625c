import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.trainers import portable_random

SEED = tf.constant([3, 7], tf.int64)


@pytest.mark.parametrize("draw", [portable_random.uniform, portable_random.normal])
def test_same_values_with_and_without_xla(draw):
    eager = draw([1000], SEED).numpy()
    compiled = tf.function(lambda: draw([1000], SEED), jit_compile=True)().numpy()
    np.testing.assert_allclose(compiled, eager, atol=1e-5)


def test_uniform_range_and_moments():
    values = portable_random.uniform([200_000], SEED).numpy()
    assert values.min() >= 0.0 and values.max() < 1.0
    assert abs(values.mean() - 0.5) < 0.005
    assert abs(values.var() - 1 / 12) < 0.002


def test_normal_moments():
    values = portable_random.normal([200_000], SEED).numpy()
    assert np.all(np.isfinite(values))
    assert abs(values.mean()) < 0.01
    assert abs(values.std() - 1.0) < 0.01
    assert abs(np.mean(np.abs(values) < 1.0) - 0.6827) < 0.005


def test_seed_matters_and_shape():
    a = portable_random.normal([4, 3], SEED).numpy()
    b = portable_random.normal([4, 3], tf.constant([3, 8], tf.int64)).numpy()
    assert a.shape == (4, 3)
    assert not np.allclose(a, b)
