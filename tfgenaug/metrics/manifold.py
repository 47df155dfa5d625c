"""Precision, recall, density and coverage: fidelity and diversity as separate numbers.

FID mixes two failures into one number: samples that leave the real data's manifold
(low fidelity) and samples that miss part of it (low diversity). The k-nearest-neighbour
estimates of Kynkäänniemi et al. (2019) and Naeem et al. (2020) separate them. Each
real feature vector gets a ball reaching its k-th nearest real neighbour, each fake one
a ball reaching its k-th nearest fake neighbour; then

- **precision**: the share of fakes inside some real ball (are samples realistic?);
- **recall**: the share of reals inside some fake ball (is the real data's variety
  reproduced?);
- **density**: real balls holding each fake, averaged and divided by k (~1 when fakes
  are distributed as the reals; one outlying real, whose ball is large, makes bad
  fakes precise but not dense);
- **coverage**: the share of reals whose ball holds at least one fake (modes missed
  lower it, and unlike recall it is not inflated by outlying fakes).

"Inside" is strictly closer than the radius, as in the authors' reference code
(clovaai/generative-evaluation-prdc): a set compared with itself scores precision,
recall and coverage 1 and density exactly 1. Computed with numpy, in blocks of
`batch_size` rows, on features such as `tfgenaug.metrics.extract_features` gives (the
same in-domain features as FID).
"""

import numpy as np

from tfgenaug.validation import check_positive_int

METRICS = ("precision", "recall", "density", "coverage")


def _features(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array of feature vectors; "
                         f"got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def _distances(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    squared = (np.sum(queries * queries, axis=1)[:, None] - 2 * queries @ references.T
               + np.sum(references * references, axis=1)[None])
    return np.sqrt(np.maximum(squared, 0.0))


def nearest_neighbour_radii(features, k: int = 5, batch_size: int = 1024) -> np.ndarray:
    """Distance from each feature vector to its k-th nearest neighbour in the same set.

    Args:
        features: `(N, D)` array, N > k.
        k: int. Which neighbour (the vector itself is not counted). Defaults to 5.
        batch_size: int. Rows per distance block. Defaults to 1024.

    Returns:
        float64 array `(N,)`.

    Raises:
        ValueError: `features` is not a finite `(N, D)` array with more than k rows.

    Example:
    ```python
    radii = nearest_neighbour_radii(real_features, k=5)
    ```
    """
    features = _features(features, "features")
    check_positive_int(k, "k")
    check_positive_int(batch_size, "batch_size")
    if len(features) <= k:
        raise ValueError(f"k must be smaller than the number of feature vectors "
                         f"({len(features)}); got k={k}")
    radii = np.empty(len(features))
    for start in range(0, len(features), batch_size):
        block = _distances(features[start:start + batch_size], features)
        # Index k of the sorted row: index 0 is the vector itself (distance 0).
        radii[start:start + batch_size] = np.partition(block, k, axis=1)[:, k]
    return radii


def precision_recall_density_coverage(real_features, fake_features, k: int = 5,
                                      batch_size: int = 1024) -> dict:
    """Precision, recall, density and coverage of fake features against real ones.

    Args:
        real_features: `(N, D)` features of real images, N > k.
        fake_features: `(M, D)` features of generated images, M > k.
        k: int. Neighbourhood size of the balls. Defaults to 5 (the authors' choice).
        batch_size: int. Rows per distance block (memory `batch_size * max(N, M)`
            floats). Defaults to 1024.

    Returns:
        A dict of floats `{"precision", "recall", "density", "coverage"}`; all but
        density lie in [0, 1].

    Raises:
        ValueError: a feature array is empty, not finite, not 2-D, has k rows or fewer,
            or the two have different widths (named).

    Example:
    ```python
    extractor = tfgenaug.metrics.feature_extractor(judge)
    scores = precision_recall_density_coverage(
        tfgenaug.metrics.extract_features(extractor, real_images),
        tfgenaug.metrics.extract_features(extractor, generated_images))
    ```
    """
    real = _features(real_features, "real_features")
    fake = _features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real_features and fake_features must have the same width; got "
                         f"{real.shape[1]} and {fake.shape[1]}")
    real_radii = nearest_neighbour_radii(real, k, batch_size)
    fake_radii = nearest_neighbour_radii(fake, k, batch_size)
    real_balls_per_fake = np.zeros(len(fake))
    fake_in_real_ball = np.zeros(len(fake), dtype=bool)
    covered = np.zeros(len(real), dtype=bool)
    recalled = np.zeros(len(real), dtype=bool)
    for start in range(0, len(real), batch_size):
        rows = slice(start, start + batch_size)
        block = _distances(real[rows], fake)  # (block of reals, M)
        inside_real = block < real_radii[rows, None]
        real_balls_per_fake += inside_real.sum(axis=0)
        fake_in_real_ball |= inside_real.any(axis=0)
        covered[rows] = inside_real.any(axis=1)
        recalled[rows] = (block < fake_radii[None]).any(axis=1)
    return {
        "precision": float(fake_in_real_ball.mean()),
        "recall": float(recalled.mean()),
        "density": float(real_balls_per_fake.mean() / k),
        "coverage": float(covered.mean()),
    }


def per_class_precision_recall_density_coverage(real_features, real_labels, fake_features,
                                                fake_labels, k: int = 5,
                                                batch_size: int = 1024) -> dict:
    """`precision_recall_density_coverage` within each class of the fake labels.

    Args:
        real_features: `(N, D)` features of real images.
        real_labels: int class ids `(N,)`.
        fake_features: `(M, D)` features of generated images.
        fake_labels: the classes they were generated for `(M,)`.
        k: int. Neighbourhood size. Defaults to 5.
        batch_size: int. Rows per distance block. Defaults to 1024.

    Returns:
        A dict `{class id: {"precision", "recall", "density", "coverage"}}` over the
        classes of `fake_labels`.

    Raises:
        ValueError: labels do not match their features' lengths, or a class has k
            real or k fake vectors or fewer (named).

    Example:
    ```python
    per_class = per_class_precision_recall_density_coverage(
        real_features, y_train, fake_features, sample_labels)
    rare = per_class[7]["coverage"]
    ```
    """
    real = _features(real_features, "real_features")
    fake = _features(fake_features, "fake_features")
    real_labels, fake_labels = np.asarray(real_labels), np.asarray(fake_labels)
    if real_labels.shape != (len(real),) or fake_labels.shape != (len(fake),):
        raise ValueError(
            f"labels must have one class id per feature vector (real_features {len(real)}, "
            f"real_labels {real_labels.shape}; fake_features {len(fake)}, fake_labels "
            f"{fake_labels.shape})")
    scores = {}
    for label in np.unique(fake_labels):
        label = int(label)
        real_rows, fake_rows = real_labels == label, fake_labels == label
        smallest = min(int(real_rows.sum()), int(fake_rows.sum()))
        if smallest <= k:
            raise ValueError(
                f"class {label} has {int(real_rows.sum())} real and {int(fake_rows.sum())} "
                f"fake feature vectors; each needs more than k={k}")
        scores[label] = precision_recall_density_coverage(real[real_rows], fake[fake_rows],
                                                          k, batch_size)
    return scores
