"""The generators' noise, drawn in one place: normal, uniform, or truncated normal.

Truncation (Brock et al. 2019, BigGAN) trades variety for fidelity at sampling time:
normal noise is redrawn wherever `|z| > truncation`, so samples stay near the modes the
generator learned best. Here it is drawn exactly, without a redraw loop, by the inverse
CDF: `z = Φ⁻¹(u)` with `u` uniform on `(Φ(-t), Φ(t))`, which compiles under XLA and
inside a `tf.data` map like any draw.
"""

import math
import numbers

import keras
from keras import ops

NOISE_DISTRIBUTIONS = ("normal", "uniform")
# `u` stays this far inside (0, 1): Φ⁻¹ of float32's last steps is ±inf; |z| <= ~5.2.
_EDGE = 1e-7


def check_truncation(truncation, noise_distribution: str = "normal") -> float | None:
    """Returns `truncation` as a float, or None; raises a ValueError naming what is wrong.

    Args:
        truncation: `None` (no truncation) or a number > 0.
        noise_distribution: the generator's noise; truncation needs `"normal"`.

    Returns:
        `None` or `float(truncation)`.

    Raises:
        ValueError: `truncation` is not None or a number > 0, or the noise is uniform.
    """
    if truncation is None:
        return None
    # Any real number (numpy scalars too) but a bool; NaN fails `> 0`.
    if isinstance(truncation, bool) or not isinstance(truncation, numbers.Real) or not (
            truncation > 0):
        raise ValueError(f"truncation must be None or a number > 0; got {truncation!r}")
    if noise_distribution != "normal":
        raise ValueError(f"truncation applies to normal noise; this generator draws "
                         f"{noise_distribution!r} noise")
    return float(truncation)


def truncated_normal(shape, truncation: float, seed=None, dtype: str = "float32"):
    """Standard normal draws conditioned on `|z| <= truncation`.

    Args:
        shape: shape of the draw.
        truncation: float > 0. The bound on each entry's magnitude.
        seed: int, `keras.random.SeedGenerator` or None, as `keras.random.uniform` takes.
        dtype: str. Defaults to `"float32"`.

    Returns:
        A tensor of `shape`, each entry distributed as N(0, 1) restricted to
        `[-truncation, truncation]`.

    Example:
    ```python
    noise = truncated_normal((16, 128), truncation=0.7, seed=0)
    ```
    """
    truncation = check_truncation(truncation)
    return normal_from_uniform(keras.random.uniform(shape, dtype=dtype, seed=seed), truncation)


def normal_from_uniform(uniform, truncation):
    """Maps U[0, 1) draws onto N(0, 1) restricted to `[-truncation, truncation]`.

    The inverse CDF, `Φ⁻¹(Φ(-t) + (1 - 2 Φ(-t)) u)`, in tensor ops only: a SavedModel
    signature uses it with a `truncation` input, without Keras at load time.

    Args:
        uniform: float tensor of U[0, 1) draws.
        truncation: float or float scalar tensor > 0 (not checked here).

    Returns:
        A tensor like `uniform`.
    """
    dtype = uniform.dtype
    root2 = ops.cast(math.sqrt(2.0), dtype)
    low = 0.5 * (1.0 - ops.erf(ops.cast(truncation, dtype) / root2))  # Φ(-t)
    low = ops.maximum(low, ops.cast(_EDGE, dtype))
    p = low + (1.0 - 2.0 * low) * uniform
    return root2 * ops.erfinv(2.0 * p - 1.0)


def draw_noise(shape, distribution: str = "normal", seed=None, truncation: float | None = None,
               dtype: str = "float32"):
    """A generator's noise: N(0, 1), U[0, 1), or N(0, 1) truncated to `|z| <= truncation`.

    Args:
        shape: shape of the draw, e.g. `(batch, noise_dim)`.
        distribution: `"normal"` or `"uniform"`. Defaults to `"normal"`.
        seed: int, `keras.random.SeedGenerator` or None.
        truncation: optional float > 0, normal noise only.
        dtype: str. Defaults to `"float32"`.

    Returns:
        A tensor of `shape`.

    Raises:
        ValueError: an unknown distribution, or a bad or inapplicable truncation.

    Example:
    ```python
    noise = draw_noise((8, trainer.noise_dim), trainer.noise_distribution, seed=0)
    ```
    """
    if distribution not in NOISE_DISTRIBUTIONS:
        raise ValueError(f"noise_distribution must be one of {NOISE_DISTRIBUTIONS}; "
                         f"got {distribution!r}")
    truncation = check_truncation(truncation, distribution)
    if truncation is not None:
        return truncated_normal(shape, truncation, seed=seed, dtype=dtype)
    if distribution == "uniform":
        return keras.random.uniform(shape, dtype=dtype, seed=seed)
    return keras.random.normal(shape, dtype=dtype, seed=seed)
