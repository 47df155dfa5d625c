"""Sub-sampling of labelled image datasets: few-shot subsets, class imbalance, class counts.

All functions take and return *unbatched* `tf.data.Dataset`s of `(image, label)` pairs. The
selection is made once, with a seeded NumPy generator, from the labels; it relies on `ds`
yielding its elements in the same order on every pass (true for `data.load` results and for
any pipeline without per-epoch reshuffling).
"""

import numbers
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tfgenaug.validation import check_interval

_BATCH = 4096


def _check_pairs(ds: tf.data.Dataset, check_image: bool = True) -> None:
    """Raises a ValueError unless `ds` yields unbatched `(image, label)` pairs."""
    spec = getattr(ds, "element_spec", None)
    if not isinstance(spec, tuple | list) or len(spec) != 2:
        raise ValueError(
            f"ds must be a tf.data.Dataset of unbatched (image, label) pairs; got element_spec "
            f"{spec!r}"
        )
    image_rank, label_rank = spec[0].shape.rank, spec[1].shape.rank
    if (check_image and image_rank not in (None, 3)) or label_rank not in (None, 0):
        raise ValueError(
            "ds must yield unbatched (image [H, W, C], label scalar) pairs; got image shape "
            f"{spec[0].shape} and label shape {spec[1].shape} (call ds.unbatch() on a batched "
            "dataset)"
        )


def _labels(ds: tf.data.Dataset) -> np.ndarray:
    """Returns every label of an unbatched `(image, label)` dataset as an int64 array.

    The image may be anything (e.g. still-encoded bytes from `tfds.decode.SkipDecoding`).
    """
    _check_pairs(ds, check_image=False)
    labels = ds.map(lambda image, label: label, num_parallel_calls=tf.data.AUTOTUNE)
    chunks = [np.asarray(chunk) for chunk in labels.batch(_BATCH).as_numpy_iterator()]
    if not chunks:
        return np.zeros([0], np.int64)
    return np.concatenate(chunks).astype(np.int64)


def _stratified_test_mask(labels: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """Marks `round(test_fraction * n_c)` seeded-random examples of each class c as test."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        indices = np.flatnonzero(labels == label)
        num_test = int(round(test_fraction * len(indices)))
        mask[rng.permutation(indices)[:num_test]] = True
    return mask


def _select(ds: tf.data.Dataset, mask: np.ndarray) -> tf.data.Dataset:
    """Keeps the elements of `ds` whose position is True in `mask`, in their original order."""
    keep = tf.constant(mask, dtype=tf.bool)
    selected = ds.enumerate().filter(lambda index, element: tf.gather(keep, index))
    selected = selected.map(lambda index, element: element)
    return selected.apply(tf.data.experimental.assert_cardinality(int(mask.sum())))


def as_numpy(ds: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Materialises an unbatched `(image, label)` dataset into two NumPy arrays.

    Args:
        ds: A `tf.data.Dataset` of unbatched `(image, label)` pairs, all images of one shape.

    Returns:
        `(images, labels)`: float32 `[N, H, W, C]` and int32 `[N]`.

    Raises:
        ValueError: If `ds` does not yield unbatched `(image, label)` pairs.

    Example:

    >>> train, test, info = tfgenaug.data.load("digits", image_size=16)
    >>> images, labels = tfgenaug.data.as_numpy(test)
    >>> images.shape, labels.dtype
    ((539, 16, 16, 1), dtype('int32'))
    """
    _check_pairs(ds)
    images, labels = [], []
    for image_batch, label_batch in ds.batch(_BATCH).as_numpy_iterator():
        images.append(image_batch)
        labels.append(label_batch)
    if not images:
        shape = [0] + [dim or 0 for dim in ds.element_spec[0].shape.as_list() or []]
        return np.zeros(shape, np.float32), np.zeros([0], np.int32)
    return (
        np.concatenate(images).astype(np.float32, copy=False),
        np.concatenate(labels).astype(np.int32, copy=False),
    )


def class_counts(ds: tf.data.Dataset, num_classes: int) -> np.ndarray:
    """Counts the images of each class in an unbatched `(image, label)` dataset.

    Args:
        ds: A `tf.data.Dataset` of unbatched `(image, label)` pairs.
        num_classes: The number of classes K; labels must be in `[0, K)`.

    Returns:
        An int64 array of shape `[K]`, the number of images of each class.

    Raises:
        ValueError: If `num_classes` is not a positive int, or a label is outside `[0, K)`.

    Example:

    >>> train, test, info = tfgenaug.data.load("digits")
    >>> tfgenaug.data.class_counts(test, info.num_classes).sum()
    539
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise ValueError(f"num_classes must be a positive int; got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive int; got {num_classes!r}")
    labels = _labels(ds)
    outside = labels[(labels < 0) | (labels >= num_classes)]
    if outside.size:
        raise ValueError(
            f"ds has label {int(outside[0])}, outside [0, num_classes) = [0, {num_classes})"
        )
    return np.bincount(labels, minlength=num_classes).astype(np.int64)


def few_shot(ds: tf.data.Dataset, count: int, seed: int = 0) -> tf.data.Dataset:
    """Keeps exactly `count` seeded-random images of each class.

    The classes are those present in `ds`. The result is held in memory (it is small by
    design) and comes in a seeded shuffled order, not sorted by class.

    Args:
        ds: A `tf.data.Dataset` of unbatched `(image, label)` pairs whose order is the same on
            every pass.
        count: Images to keep per class, a positive int no larger than the smallest class.
        seed: Seed of the choice and the order; the same seed gives the same images.

    Returns:
        An unbatched `tf.data.Dataset` of `count * num_classes` `(image, label)` pairs
        (float32 images, int32 labels).

    Raises:
        ValueError: If `count` is not a positive int, is larger than the smallest class, or
            `ds` is empty or not a dataset of `(image, label)` pairs.

    Example:

    >>> train, test, info = tfgenaug.data.load("digits")
    >>> ten_per_class = tfgenaug.data.few_shot(train, count=10, seed=0)
    >>> tfgenaug.data.class_counts(ten_per_class, info.num_classes)
    array([10, 10, 10, 10, 10, 10, 10, 10, 10, 10])
    """
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise ValueError(f"count must be a positive int (images per class); got {count!r}")
    labels = _labels(ds)
    if labels.size == 0:
        raise ValueError("ds has no images; few_shot needs at least `count` images per class")
    classes, sizes = np.unique(labels, return_counts=True)
    smallest = int(np.argmin(sizes))
    if count > sizes[smallest]:
        raise ValueError(
            f"count={count} is larger than the smallest class (class {int(classes[smallest])} "
            f"has {int(sizes[smallest])} images)"
        )
    rng = np.random.default_rng(seed)
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(labels == label), count, replace=False) for label in classes]
    )
    mask = np.zeros(len(labels), dtype=bool)
    mask[chosen] = True
    images, kept_labels = as_numpy(_select(ds, mask))
    # `images` are in dataset order (sorted positions); shuffle them with the seeded generator.
    order = rng.permutation(len(kept_labels))
    return tf.data.Dataset.from_tensor_slices((images[order], kept_labels[order]))


def _check_minority(minority_classes: Sequence[int], num_classes: int) -> list[int]:
    """Validates class ids: a non-empty sequence of unique ints in `[0, num_classes)`."""
    message = (
        "minority_classes must be a non-empty sequence of unique class ids in "
        f"[0, {num_classes}); got {minority_classes!r}"
    )
    if isinstance(minority_classes, str | bytes) or not isinstance(
        minority_classes, Sequence | np.ndarray
    ):
        raise ValueError(message)
    ids = list(minority_classes)
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(message)
    for class_id in ids:
        if isinstance(class_id, bool) or not isinstance(class_id, numbers.Integral):
            raise ValueError(message)
        if not 0 <= class_id < num_classes:
            raise ValueError(message)
    return sorted(int(class_id) for class_id in ids)


def imbalance(
    ds: tf.data.Dataset,
    minority_classes: Sequence[int],
    ratio: float,
    seed: int = 0,
    *,
    num_classes: int | None = None,
) -> tf.data.Dataset:
    """Makes some classes rare, following DFG's class-imbalance protocol.

    With `majority` the size of the largest class, each class in `minority_classes` keeps
    `max(1, int(ratio * majority))` seeded-random images (or all of them if it has fewer);
    the other classes keep all their images. The result streams from `ds` in its original
    order (nothing is held in memory).

    Args:
        ds: A `tf.data.Dataset` of unbatched `(image, label)` pairs whose order is the same on
            every pass.
        minority_classes: Non-empty sequence of unique class ids in `[0, K)` to make rare.
        ratio: Size of a minority class relative to the largest class, in `(0, 1]`.
        seed: Seed of the choice of images kept.
        num_classes: The number of classes K; by default `1 + the largest label` in `ds`.

    Returns:
        An unbatched `tf.data.Dataset` of `(image, label)` pairs, a subset of `ds`.

    Raises:
        ValueError: If `ratio` is not in `(0, 1]` or `minority_classes` is not a non-empty
            sequence of unique class ids in `[0, K)`.

    Example:

    >>> train, test, info = tfgenaug.data.load("digits")
    >>> rare = tfgenaug.data.imbalance(train, minority_classes=[3, 8], ratio=0.1)
    >>> tfgenaug.data.class_counts(rare, info.num_classes)[[3, 8]]
    array([12, 12])
    """
    check_interval(ratio, "ratio", 0, 1, include_low=False)
    labels = _labels(ds)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    minority = _check_minority(minority_classes, num_classes)
    majority = int(np.bincount(labels).max()) if labels.size else 0
    target = max(1, int(ratio * majority))
    rng = np.random.default_rng(seed)
    mask = np.ones(len(labels), dtype=bool)
    for class_id in minority:
        indices = np.flatnonzero(labels == class_id)
        mask[indices] = False
        mask[rng.choice(indices, min(target, len(indices)), replace=False)] = True
    return _select(ds, mask)
