"""Kernel Inception Distance-style KID: unbiased MMD² with a cubic polynomial kernel.

Bińkowski et al. 2018, "Demystifying MMD GANs". As with FID, the features here come
from an in-domain classifier trained on the real data (`feature_extractor`), not
Inception, so values are comparable only within one extractor.
"""

import numpy as np

from tfgenaug.metrics.frechet import _check_features
from tfgenaug.metrics.frechet import _check_same_width
from tfgenaug.validation import check_int


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cubic polynomial kernel k(x, y) = (x·y / d + 1)³ between all rows of x and y.

    Args:
        x: array `(N, D)`.
        y: array `(M, D)`.

    Returns:
        The kernel matrix `(N, M)`, float64.

    Raises:
        ValueError: `x` or `y` is not 2-D or the widths differ.

    Example:
    ```python
    K = polynomial_kernel(real_features, generated_features)
    ```
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"x and y must be 2-D arrays; got shapes {x.shape} and {y.shape}")
    _check_same_width(x, y, ("x", "y"))
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased estimate of MMD² between two samples under the cubic polynomial kernel.

    MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (n(n-1))
    - 2 Σ_{i,j} k(x_i, y_j) / (mn). It can be negative when the distributions match.

    Args:
        x: first sample `(m, D)`, m >= 2.
        y: second sample `(n, D)`, n >= 2.

    Returns:
        The estimate, a float.

    Raises:
        ValueError: either sample is not 2-D, has fewer than 2 rows or is not finite,
            or the widths differ.

    Example:
    ```python
    value = mmd2_unbiased(real_features[:500], generated_features[:500])
    ```
    """
    x = _check_features(x, "x")
    y = _check_features(y, "y")
    _check_same_width(x, y, ("x", "y"))
    m, n = len(x), len(y)
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(term_xx + term_yy - 2.0 * k_xy.mean())


def kid_from_features(
    real: np.ndarray,
    generated: np.ndarray,
    num_subsets: int = 10,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel distance (KID) between two feature sets, averaged over random subsets.

    Each of `num_subsets` rounds draws `subset_size` rows of each set without
    replacement and computes `mmd2_unbiased` with k(x, y) = (x·y/d + 1)³ (Bińkowski
    et al. 2018). Unlike FID the estimator is unbiased, so it can be slightly
    negative and small sets do not inflate it. Use features of an in-domain
    classifier (`feature_extractor`); values are comparable only within one extractor.

    Args:
        real: real features `(N, D)`, N >= 2.
        generated: generated features `(M, D)`, M >= 2.
        num_subsets: int. Number of random subsets. Defaults to 10.
        subset_size: int. Rows per subset, capped at `min(N, M)`. Defaults to 1000.
        seed: int. Seed of the subset draws. Defaults to 0.

    Returns:
        `(mean, std)` of the per-subset MMD² estimates (std with ddof 0).

    Raises:
        ValueError: either set is not 2-D, has fewer than 2 samples or is not
            finite, the widths differ, or `num_subsets` / `subset_size` is not a
            positive integer (`subset_size` must be at least 2).

    Example:
    ```python
    kid_mean, kid_std = kid_from_features(real_features, generated_features)
    ```
    """
    real = _check_features(real, "real")
    generated = _check_features(generated, "generated")
    _check_same_width(real, generated)
    for value, name, minimum in ((num_subsets, "num_subsets", 1), (subset_size, "subset_size", 2)):
        check_int(value, name, minimum=minimum)
    size = min(int(subset_size), len(real), len(generated))
    rng = np.random.default_rng(seed)
    estimates = np.empty(int(num_subsets))
    for i in range(int(num_subsets)):
        real_subset = real[rng.choice(len(real), size, replace=False)]
        generated_subset = generated[rng.choice(len(generated), size, replace=False)]
        estimates[i] = mmd2_unbiased(real_subset, generated_subset)
    return float(estimates.mean()), float(estimates.std())
