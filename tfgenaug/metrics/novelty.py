"""Novelty: are generated images new, or near-copies of the images the generator saw?

A class-conditional GAN trained on five images per class can score well on label
agreement and FID while drawing little more than those five images. Novelty compares
how far its samples lie from their nearest training image of the same class with how
far *fresh real* images (the test split) lie from theirs: a ratio near 1 means samples
are as new as unseen real data, near 0 means near-copies. Distances are Euclidean on
raw pixels (in-domain, no feature extractor), computed with numpy.
"""

import numpy as np


def _flat(images, name: str) -> np.ndarray:
    array = np.asarray(images, dtype=np.float64)
    if array.ndim < 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty batch of images (N, ...); "
                         f"got shape {array.shape}")
    return array.reshape(array.shape[0], -1)


def nearest_distances(queries, references, batch_size: int = 1024) -> np.ndarray:
    """Euclidean distance from each query image to its nearest reference image.

    Args:
        queries: images `(N, ...)`.
        references: images `(M, ...)` with the same per-image shape.
        batch_size: int. Queries per distance block (bounds memory at
            `batch_size * M` floats). Defaults to 1024.

    Returns:
        float64 array `(N,)`.

    Raises:
        ValueError: an argument is empty or the image shapes differ (named).

    Example:
    ```python
    d = nearest_distances(generated, train_images)  # pixel distance to the closest
    ```
    """
    q, r = _flat(queries, "queries"), _flat(references, "references")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and references must have the same image shape; got "
                         f"{np.shape(queries)[1:]} and {np.shape(references)[1:]}")
    r_norms = np.sum(r * r, axis=1)
    out = np.empty(q.shape[0])
    for start in range(0, q.shape[0], batch_size):
        block = q[start:start + batch_size]
        squared = np.sum(block * block, axis=1)[:, None] - 2 * block @ r.T + r_norms[None]
        out[start:start + batch_size] = np.sqrt(np.maximum(squared.min(axis=1), 0.0))
    return out


def same_class_nearest_distances(images, labels, references, reference_labels) -> np.ndarray:
    """`nearest_distances` of each image to the references of its own class.

    Args:
        images: images `(N, ...)`.
        labels: int class ids `(N,)`.
        references: images `(M, ...)`.
        reference_labels: int class ids `(M,)`; every class in `labels` must occur.

    Returns:
        float64 array `(N,)`, in the order of `images`.

    Raises:
        ValueError: lengths differ, or a class of `labels` has no reference image.
    """
    labels, reference_labels = np.asarray(labels), np.asarray(reference_labels)
    if len(labels) != len(images) or len(reference_labels) != len(references):
        raise ValueError("labels must have one entry per image (images "
                         f"{len(images)}, labels {len(labels)}; references "
                         f"{len(references)}, reference_labels {len(reference_labels)})")
    references = np.asarray(references)
    images = np.asarray(images)
    out = np.empty(len(labels))
    for k in np.unique(labels):
        pool = references[reference_labels == k]
        if len(pool) == 0:
            raise ValueError(f"class {int(k)} of labels has no reference image")
        rows = labels == k
        out[rows] = nearest_distances(images[rows], pool)
    return out


def novelty_ratio(generated, generated_labels, train, train_labels, test, test_labels) -> dict:
    """How new generated images are, relative to unseen real images.

    Args:
        generated: generated images `(N, ...)` in the training images' value range.
        generated_labels: the classes they were generated for `(N,)`.
        train: the images the generator was trained on `(M, ...)`.
        train_labels: their classes `(M,)`.
        test: real images the generator never saw `(T, ...)`.
        test_labels: their classes `(T,)`.

    Returns:
        A dict: `"ratio"` (median same-class nearest-training distance of the generated
        images over that of the test images; ~1 is as new as real data, ~0 copies),
        `"generated_median"`, `"test_median"`, and `"copies"`, the share of
        generated images closer to a training image than the closest 1 % of test
        images are.

    Example:
    ```python
    novelty_ratio(samples, sample_labels, x_train, y_train, x_test, y_test)["ratio"]
    ```
    """
    gen = same_class_nearest_distances(generated, generated_labels, train, train_labels)
    real = same_class_nearest_distances(test, test_labels, train, train_labels)
    test_median = float(np.median(real))
    return {
        "ratio": float(np.median(gen)) / test_median if test_median > 0 else float("nan"),
        "generated_median": float(np.median(gen)),
        "test_median": test_median,
        "copies": float(np.mean(gen < np.quantile(real, 0.01))),
    }
