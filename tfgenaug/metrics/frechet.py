"""Fréchet distance between Gaussians fitted to feature sets (FID).

The features are meant to come from `tfgenaug.metrics.feature_extractor`: an in-domain
classifier trained on the real data, not Inception. FIDs computed here are comparable
only within one extractor, never with published Inception FIDs.
"""

import warnings

import numpy as np

from tfgenaug.validation import check_positive_int

try:  # scipy comes with scikit-learn; the eigen route below works without it.
    from scipy import linalg as _scipy_linalg
except ImportError:  # pragma: no cover - exercised only without scipy
    _scipy_linalg = None


def _check_moments(mu: np.ndarray, sigma: np.ndarray, mu_name: str, sigma_name: str):
    mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
    sigma = np.atleast_2d(np.asarray(sigma, dtype=np.float64))
    if mu.ndim != 1:
        raise ValueError(f"{mu_name} must be a vector (D,); got shape {mu.shape}")
    if sigma.shape != (len(mu), len(mu)):
        raise ValueError(
            f"{sigma_name} must be a ({len(mu)}, {len(mu)}) matrix to match {mu_name}; "
            f"got shape {sigma.shape}"
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"{mu_name} and {sigma_name} must be finite")
    return mu, sigma


def _trace_sqrt_product_eigen(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((Σ1 Σ2)^½) as Σ √λ of the symmetric PSD matrix Σ1^½ Σ2 Σ1^½."""
    values, vectors = np.linalg.eigh((sigma1 + sigma1.T) / 2)
    root1 = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    middle = root1 @ sigma2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray, eps: float) -> float:
    """tr((Σ1 Σ2)^½), by `scipy.linalg.sqrtm` when possible, else by eigenvalues."""
    if _scipy_linalg is None:
        return _trace_sqrt_product_eigen(sigma1, sigma2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sqrtm warns on singular products; checked below
        covmean = _scipy_linalg.sqrtm(sigma1 @ sigma2)
        if not np.all(np.isfinite(covmean)):
            # Near-singular product: nudge both covariances off singularity.
            offset = np.eye(len(sigma1)) * eps
            covmean = _scipy_linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if not np.all(np.isfinite(covmean)):
        return _trace_sqrt_product_eigen(sigma1, sigma2)
    if np.iscomplexobj(covmean):
        diagonal = np.diagonal(covmean)
        scale = max(1.0, float(np.max(np.abs(diagonal.real))))
        if not np.allclose(diagonal.imag, 0.0, atol=1e-3 * scale):
            # Large imaginary parts are numerical error of the non-symmetric sqrtm;
            # the symmetric eigen route is exact in exact arithmetic.
            return _trace_sqrt_product_eigen(sigma1, sigma2)
        covmean = covmean.real
    return float(np.trace(covmean))


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
) -> float:
    """Fréchet (2-Wasserstein) distance between two Gaussians, squared.

    d² = ||mu1 - mu2||² + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^½).

    The matrix square root uses `scipy.linalg.sqrtm` when scipy is installed, with
    the usual fixes: if the product is near-singular (non-finite root) `eps` is added
    to both diagonals; negligible imaginary parts are dropped; if the root is still
    unusable, tr((sigma1 sigma2)^½) is computed from the eigenvalues of the symmetric
    matrix sigma1^½ sigma2 sigma1^½ (also the route without scipy). Tiny negative
    results of round-off are clipped to 0.

    Args:
        mu1: mean `(D,)` of the first Gaussian.
        sigma1: covariance `(D, D)` of the first Gaussian.
        mu2: mean `(D,)` of the second Gaussian.
        sigma2: covariance `(D, D)` of the second Gaussian.
        eps: float. Diagonal offset for near-singular products. Defaults to 1e-6.

    Returns:
        The squared Fréchet distance, a float >= 0.

    Raises:
        ValueError: shapes do not match (means of different widths, non-square or
            mismatched covariances) or values are not finite.

    Example:
    ```python
    d2 = frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))  # 2 + 2 = 4
    ```
    """
    mu1, sigma1 = _check_moments(mu1, sigma1, "mu1", "sigma1")
    mu2, sigma2 = _check_moments(mu2, sigma2, "mu2", "sigma2")
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"mu1 and mu2 must have the same width; got {mu1.shape[0]} and {mu2.shape[0]}"
        )
    diff = mu1 - mu2
    trace_root = _trace_sqrt_product(sigma1, sigma2, eps)
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root)
    return max(value, 0.0)


def _check_features(features: np.ndarray, name: str) -> np.ndarray:
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, D); got shape {features.shape}")
    if len(features) < 2:
        raise ValueError(f"{name} needs at least 2 samples; got {len(features)}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} must be finite")
    return features


def _check_same_width(real: np.ndarray, generated: np.ndarray, names=("real", "generated")):
    if real.shape[1] != generated.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same feature width; "
            f"got {real.shape[1]} and {generated.shape[1]}"
        )


def feature_moments(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased, N-1) covariance of a feature set.

    Args:
        features: array `(N, D)`, N >= 2.

    Returns:
        `(mu, sigma)`: float64 arrays `(D,)` and `(D, D)`.

    Raises:
        ValueError: `features` is not 2-D, has fewer than 2 rows or is not finite.

    Example:
    ```python
    mu, sigma = feature_moments(real_features)
    ```
    """
    features = _check_features(features, "features")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(
        features.shape[1], features.shape[1]
    )


def fid_from_features(real: np.ndarray, generated: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID).

    Use features of an in-domain classifier (`feature_extractor`,
    `extract_features`); the value is comparable only within one extractor, not with
    published Inception FIDs. It is biased upwards for small sets, so compare FIDs
    computed from equally many samples.

    Args:
        real: real features `(N, D)`, N >= 2.
        generated: generated features `(M, D)`, M >= 2.

    Returns:
        The FID, a float >= 0.

    Raises:
        ValueError: either set is not 2-D, has fewer than 2 samples or is not
            finite, or the widths differ.

    Example:
    ```python
    fid = fid_from_features(extract_features(ex, x_real), extract_features(ex, x_gen))
    ```
    """
    real = _check_features(real, "real")
    generated = _check_features(generated, "generated")
    _check_same_width(real, generated)
    return frechet_distance(*feature_moments(real), *feature_moments(generated))


def _check_class_ids(values, num_classes: int, name: str) -> np.ndarray:
    values = np.asarray(values).reshape(-1)
    integral = np.issubdtype(values.dtype, np.integer) or (
        np.issubdtype(values.dtype, np.number) and np.all(np.mod(values, 1) == 0)
    )
    if values.size and not integral:
        raise ValueError(f"{name} must hold integer class ids; got {values.dtype} values")
    values = values.astype(np.int64)
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            f"{name} must lie in [0, {num_classes}); got values in "
            f"[{values.min()}, {values.max()}]"
        )
    return values


def per_class_fid(
    real_feats: np.ndarray,
    real_labels: np.ndarray,
    gen_feats: np.ndarray,
    gen_labels: np.ndarray,
    num_classes: int,
) -> np.ndarray:
    """FID within each class: real features of class k against generated ones of class k.

    Classes with fewer than 2 samples on either side get NaN (use `np.nanmean` to
    average). Per-class sets are small, so these values are noisier and more biased
    upwards than the overall FID; compare them only at equal sample counts.

    Args:
        real_feats: real features `(N, D)`.
        real_labels: int class ids of the real features `(N,)` in [0, num_classes).
        gen_feats: generated features `(M, D)`.
        gen_labels: the labels the generated samples were conditioned on `(M,)`.
        num_classes: int. Number of classes K.

    Returns:
        A float64 array `(K,)` of per-class FIDs (NaN where undefined).

    Raises:
        ValueError: `num_classes` is not a positive integer, features are not 2-D or
            not finite, the widths differ, labels do not match the features in length
            or lie outside [0, num_classes).

    Example:
    ```python
    fids = per_class_fid(real_f, y_real, gen_f, y_gen, num_classes=10)
    worst_class = int(np.nanargmax(fids))
    ```
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    real_feats = np.asarray(real_feats, dtype=np.float64)
    gen_feats = np.asarray(gen_feats, dtype=np.float64)
    for features, name in ((real_feats, "real_feats"), (gen_feats, "gen_feats")):
        if features.ndim != 2:
            raise ValueError(f"{name} must be a 2-D array (N, D); got shape {features.shape}")
        if not np.all(np.isfinite(features)):
            raise ValueError(f"{name} must be finite")
    _check_same_width(real_feats, gen_feats, ("real_feats", "gen_feats"))
    real_labels = _check_class_ids(real_labels, num_classes, "real_labels")
    gen_labels = _check_class_ids(gen_labels, num_classes, "gen_labels")
    for labels, features, name in (
        (real_labels, real_feats, "real_labels"),
        (gen_labels, gen_feats, "gen_labels"),
    ):
        if len(labels) != len(features):
            raise ValueError(
                f"{name} must have one label per sample ({len(features)}); got {len(labels)}"
            )
    fids = np.full(num_classes, np.nan)
    for k in range(num_classes):
        real_k = real_feats[real_labels == k]
        gen_k = gen_feats[gen_labels == k]
        if len(real_k) >= 2 and len(gen_k) >= 2:
            fids[k] = frechet_distance(*feature_moments(real_k), *feature_moments(gen_k))
    return fids
