"""The generators' noise: truncated normal draws, one draw function, trainers' sampling."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tfgenaug.trainers import DAGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import noise


def truncated_variance(t: float) -> float:
    """Var of N(0, 1) restricted to [-t, t]: 1 - 2 t phi(t) / (2 Phi(t) - 1)."""
    phi = math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    return 1 - 2 * t * phi / math.erf(t / math.sqrt(2))


@pytest.mark.parametrize("t", [0.25, 1.0, 2.0])
def test_truncated_normal_stays_inside_and_has_the_truncated_distribution(t):
    z = np.asarray(noise.truncated_normal((200_000,), t, seed=0))
    assert np.abs(z).max() <= t + 1e-6
    assert abs(z.mean()) < 0.01
    np.testing.assert_allclose(z.var(), truncated_variance(t), rtol=0.02)
    # Against rejection sampling, quantile by quantile.
    reference = np.random.default_rng(0).normal(size=2_000_000)
    reference = reference[np.abs(reference) <= t][:200_000]
    quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    np.testing.assert_allclose(np.quantile(z, quantiles), np.quantile(reference, quantiles),
                               atol=0.01 * t + 0.005)


def test_a_large_truncation_is_a_finite_standard_normal_and_compiles_with_xla():
    z = np.asarray(noise.truncated_normal((100_000,), 50.0, seed=1))
    assert np.isfinite(z).all() and abs(z.std() - 1.0) < 0.01
    # Under XLA the stateless generator picks another algorithm: other values, same law.
    draw = tf.function(lambda: noise.truncated_normal((1000,), 0.5, seed=2), jit_compile=True)
    compiled = draw().numpy()
    np.testing.assert_array_equal(compiled, draw())
    assert np.abs(compiled).max() <= 0.5 + 1e-6 and compiled.std() > 0.2


def test_draw_noise_without_truncation_is_keras_draw():
    np.testing.assert_array_equal(noise.draw_noise((3, 4), "normal", seed=5),
                                  keras.random.normal((3, 4), seed=5))
    np.testing.assert_array_equal(noise.draw_noise((3, 4), "uniform", seed=5),
                                  keras.random.uniform((3, 4), seed=5))
    with pytest.raises(ValueError, match=r"noise_distribution must be one of \('normal'"):
        noise.draw_noise((3, 4), "laplace")


def test_numpy_scalars_are_truncations():
    assert noise.check_truncation(np.float32(0.5)) == 0.5
    assert noise.check_truncation(np.int64(2)) == 2.0
    with pytest.raises(ValueError, match="truncation must be None or a number > 0"):
        noise.check_truncation(np.bool_(True))


@pytest.mark.parametrize("truncation,match", [
    (0, "truncation must be None or a number > 0; got 0"),
    (-1.0, "truncation must be None or a number > 0"),
    (float("nan"), "truncation must be None or a number > 0"),
    (True, "truncation must be None or a number > 0"),
    ("0.5", "truncation must be None or a number > 0"),
])
def test_bad_truncations_name_the_argument(truncation, match):
    with pytest.raises(ValueError, match=match):
        noise.check_truncation(truncation)


def test_truncation_needs_normal_noise():
    assert noise.check_truncation(None, "uniform") is None
    with pytest.raises(ValueError, match="truncation applies to normal noise; .* 'uniform'"):
        noise.check_truncation(0.5, "uniform")


def test_trainers_sample_and_transform_with_truncation():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    labels = [0, 1, 2, 0]
    truncated = trainer.sample(labels, seed=3, truncation=0.1)
    np.testing.assert_array_equal(truncated, trainer.sample(labels, seed=3, truncation=0.1))
    bounded = noise.truncated_normal((4, trainer.noise_dim), 0.1, seed=3)
    np.testing.assert_allclose(truncated, trainer.sample(labels, noise=bounded), atol=1e-6)
    assert not np.allclose(truncated, trainer.sample(labels, seed=3))
    with pytest.raises(ValueError, match="pass truncation or noise, not both"):
        trainer.sample(labels, noise=bounded, truncation=0.1)
    with pytest.raises(ValueError, match="truncation must be None or a number > 0"):
        trainer.sample(labels, truncation=-1)
    uniform = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, noise_distribution="uniform")
    with pytest.raises(ValueError, match="truncation applies to normal noise"):
        uniform.sample(labels, truncation=0.5)

    dagan = DAGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    images, _ = tiny_batches(1)
    variants = dagan.transform(images[:4], seed=3, truncation=0.1)
    bounded = noise.truncated_normal((4, dagan.noise_dim), 0.1, seed=3)
    np.testing.assert_allclose(variants, dagan.transform(images[:4], noise=bounded), atol=1e-6)
    with pytest.raises(ValueError, match="pass truncation or noise, not both"):
        dagan.transform(images[:4], noise=bounded, truncation=0.1)
