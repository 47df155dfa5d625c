"""One data case (dataset, size, classes, few-shot count, imbalance, seed) and its selection.

A generator run, the efficacy benchmark's classifier and DFG's transfer run select their
training images here, from a `DataCase`, so that the same case always means the same images
in the same order: the optional class subset first, then the few-shot subset
(`tfgenaug.data.few_shot`), then the class imbalance (`tfgenaug.data.imbalance`), each seeded
by `case.seed`.
"""

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tfgenaug.data.datasets import load
from tfgenaug.data.info import DatasetInfo
from tfgenaug.data.sampling import as_numpy
from tfgenaug.data.sampling import class_counts
from tfgenaug.data.sampling import few_shot
from tfgenaug.data.sampling import imbalance

Split = tuple[tf.data.Dataset, tf.data.Dataset, DatasetInfo]


def _as_tuple(value):
    """Lists and arrays of class ids from configs and flags become tuples (checked later)."""
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return tuple(value) if isinstance(value, list) else value


@dataclasses.dataclass(frozen=True)
class DataCase:
    """Which images a run trains on.

    Attributes:
        dataset: a name `tfgenaug.data.load` takes ("digits", "folder:<path>",
            "npz:<path>" or a TensorFlow Datasets name prepared in `data_dir`).
        image_size: `load`'s `image_size`: an int >= 8 (squares), `(height, width)`,
            None for the native size, or "auto" (the kind's default).
        data_dir: tfds data directory, or None for tfds' default.
        count: images per class to keep (few-shot); 0 keeps all.
        minority_classes: classes made rare (ids after the `classes` relabelling); empty
            keeps the data balanced.
        imbalance_ratio: each minority class keeps `max(1, int(ratio * largest class))`
            images; used only with `minority_classes`.
        seed: seed of the few-shot choice and of the imbalance.
        classes: None for every class, or the class ids kept, relabelled `0..K-1` in this
            order (train and test splits alike).
        channels: None to keep the images' channels, or 1 (grayscale) or 3 (RGB).

    Example:
    ```python
    case = DataCase(dataset="digits", image_size=16, count=10, seed=3)
    selection = select(case)
    images, labels = selection.train_arrays
    ```
    """

    dataset: str = "digits"
    image_size: int | tuple[int, int] | str | None = 16
    data_dir: str | None = None
    count: int = 0
    minority_classes: tuple[int, ...] = ()
    imbalance_ratio: float = 0.05
    seed: int = 0
    classes: tuple[int, ...] | None = None
    channels: int | None = None

    def __post_init__(self):
        # Lists from configs and flags become tuples: a case is hashable and compares equal.
        object.__setattr__(self, "minority_classes", _as_tuple(self.minority_classes))
        object.__setattr__(self, "classes", _as_tuple(self.classes))
        if isinstance(self.image_size, list):
            object.__setattr__(self, "image_size", tuple(self.image_size))

    @property
    def num_classes_kept(self) -> int | None:
        """K of the selection when `classes` is set, else None (the dataset's K)."""
        return None if self.classes is None else len(self.classes)


@dataclasses.dataclass(frozen=True, eq=False)
class Selection:
    """The images of a `DataCase`, as `select` returns them.

    Attributes:
        case: the `DataCase` selected.
        train: unbatched `(image, label)` training pairs of the case, in selection order.
        test: unbatched `(image, label)` test pairs (class subset applied, nothing else).
        info: the loaded dataset's `DatasetInfo` (channels converted; all its classes).
        train_split: the whole train split the selection was drawn from (class subset
            applied), e.g. the real pool a judge classifier learns from.
        pool: with `select(..., with_pool=True)`, `(images, labels)` of `train_split` that
            the selection left out; else None.
    """

    case: DataCase
    train: tf.data.Dataset
    test: tf.data.Dataset
    info: DatasetInfo
    train_split: tf.data.Dataset
    pool: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def num_classes(self) -> int:
        """K: the number of classes of the selection's labels."""
        return self.case.num_classes_kept or self.info.num_classes

    @property
    def class_names(self) -> list[str]:
        """Names of the selection's K classes, in label order."""
        if self.case.classes is None:
            return list(self.info.class_names)
        return [self.info.class_names[k] for k in self.case.classes]

    @functools.cached_property
    def train_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """`(images, labels)` of `train` as NumPy arrays (computed once)."""
        return as_numpy(self.train)

    @functools.cached_property
    def test_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """`(images, labels)` of `test` as NumPy arrays (computed once)."""
        return as_numpy(self.test)

    @functools.cached_property
    def training_counts(self) -> list[int]:
        """Training images of each of the K classes after the selection."""
        return [int(n) for n in class_counts(self.train, self.num_classes)]


def select_classes(ds: tf.data.Dataset, classes: Sequence[int]) -> tf.data.Dataset:
    """Keeps the `(image, label)` pairs of `classes`, relabelled by their index in `classes`.

    Args:
        ds: unbatched `(image, label)` dataset.
        classes: class ids to keep; `classes[i]` becomes label `i`.

    Returns:
        The filtered, relabelled dataset, in the order of `ds`.

    Example:
    ```python
    target = select_classes(train, [5, 6, 7, 8, 9])  # digit 5 -> 0, ..., 9 -> 4
    ```
    """
    table = tf.constant([int(k) for k in classes], tf.int32)

    def keep(image, label):
        return tf.reduce_any(tf.equal(tf.cast(label, tf.int32), table))

    def relabel(image, label):
        index = tf.argmax(tf.cast(tf.equal(table, tf.cast(label, tf.int32)), tf.int32))
        return image, tf.cast(index, tf.int32)

    return ds.filter(keep).map(relabel)


def to_channels(ds: tf.data.Dataset, channels: int) -> tf.data.Dataset:
    """Converts the images of an `(image, label)` dataset to 1 (grayscale) or 3 (RGB) channels.

    The ITU-R 601 luma weights sum to 1, so images in [-1, 1] stay in [-1, 1].

    Args:
        ds: unbatched `(image, label)` dataset.
        channels: 1 or 3.

    Returns:
        `ds` itself if its images have `channels` channels, else the converted dataset.
    """
    if ds.element_spec[0].shape[-1] == channels:
        return ds

    def convert(image, label):
        if channels == 1:
            return tf.image.rgb_to_grayscale(image), label
        return tf.image.grayscale_to_rgb(image), label

    return ds.map(convert)


def with_channels(split: Split, channels: int | None) -> Split:
    """`(train, test, info)` with images converted to `channels` (None keeps them)."""
    train, test, info = split
    if channels is None or info.image_shape[-1] == channels:
        return train, test, info
    info = dataclasses.replace(info, image_shape=(*info.image_shape[:-1], channels))
    return to_channels(train, channels), to_channels(test, channels), info


def load_case(case: DataCase) -> Split:
    """Loads the dataset of `case` (channels converted): `(train, test, info)`.

    Raises:
        ValueError: the dataset cannot be loaded, naming it.
    """
    try:
        split = load(case.dataset, image_size=case.image_size, data_dir=case.data_dir)
    except ValueError as error:
        raise ValueError(f"dataset={case.dataset!r} cannot be loaded: {error}") from error
    return with_channels(split, case.channels)


class CountTooLargeError(ValueError):
    """`DataCase.count` is larger than the smallest class of the train split.

    Attributes:
        count: the count asked for.
        smallest: images of the smallest (non-empty) class.
        dataset: the dataset's name.
    """

    def __init__(self, message: str, count: int, smallest: int, dataset: str):
        super().__init__(message)
        self.count, self.smallest, self.dataset = count, smallest, dataset


def _check_count(case: DataCase, info: DatasetInfo) -> None:
    counts = list(info.train_counts)
    if case.classes is not None:
        counts = [counts[k] for k in case.classes]
    present = [(n, index) for index, n in enumerate(counts) if n > 0]
    if not present:
        return  # few_shot names the empty dataset
    smallest, index = min(present)
    if case.count > smallest:
        raise CountTooLargeError(
            f"count={case.count} is larger than the smallest class (class {index} has "
            f"{smallest} images)", count=case.count, smallest=smallest, dataset=case.dataset,
        )


def _left_out(everything, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    chosen = {image.tobytes() for image in images}
    left = np.array([image.tobytes() not in chosen for image in everything[0]], dtype=bool)
    return everything[0][left], everything[1][left]


def select(case: DataCase, with_pool: bool = False, split: Split | None = None) -> Selection:
    """Selects the training and test images of `case`.

    The class subset (`case.classes`) applies to both splits; then, on the train split
    only, the few-shot subset (`count`, seeded by `seed`) and the imbalance
    (`minority_classes`, `imbalance_ratio`, seeded by `seed`).

    Args:
        case: a `DataCase`.
        with_pool: also compute `Selection.pool`, the training images left out.
        split: `(train, test, info)` already loaded by `load_case(case)`, or None to
            load it here.

    Returns:
        A `Selection`.

    Raises:
        ValueError: the dataset cannot be loaded, `classes` or `minority_classes` are not
            class ids of the dataset; `CountTooLargeError` (a ValueError) when `count` is
            larger than the smallest class.

    Example:
    ```python
    selection = select(DataCase(count=10, minority_classes=(3,), imbalance_ratio=0.2))
    selection.training_counts  # [10, 10, 10, 2, 10, ...]
    ```
    """
    train, test, info = load_case(case) if split is None else split
    if case.classes is not None:
        outside = [k for k in case.classes if k >= info.num_classes]
        if outside:
            raise ValueError(f"classes must be class ids of {case.dataset!r}, in "
                             f"[0, {info.num_classes}); got {outside}")
        train, test = select_classes(train, case.classes), select_classes(test, case.classes)
    train_split = train
    everything = as_numpy(train) if with_pool else None
    if case.count:
        _check_count(case, info)
        train = few_shot(train, case.count, seed=case.seed)
    if case.minority_classes:
        train = imbalance(train, list(case.minority_classes), case.imbalance_ratio,
                          seed=case.seed, num_classes=case.num_classes_kept or info.num_classes)
    selection = Selection(case=case, train=train, test=test, info=info, train_split=train_split)
    if with_pool:
        object.__setattr__(selection, "pool", _left_out(everything, selection.train_arrays[0]))
    return selection
