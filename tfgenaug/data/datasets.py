"""Loading of labelled image datasets as `tf.data` pipelines in the trainers' range `[-1, 1]`.

`"digits"` (scikit-learn's bundled 8x8 digits) needs nothing but scikit-learn; any other name is
read from a TensorFlow Datasets directory that was prepared beforehand. Nothing is downloaded.
"""

import dataclasses
import functools
import numbers
import os

import numpy as np
import tensorflow as tf

from tfgenaug.data.sampling import _labels
from tfgenaug.data.sampling import _select
from tfgenaug.data.sampling import _stratified_test_mask
from tfgenaug.validation import check_interval

IMAGE_SIZES = (8, 16, 32, 64)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What `load` knows about a dataset.

    Attributes:
        name: The dataset name passed to `load`.
        num_classes: The number of classes K; labels are in `[0, K)`.
        image_shape: `(height, width, channels)` of the returned images (a dimension is None
            only for a tfds dataset of varying image sizes loaded with `image_size=None`).
        class_names: The K class names, e.g. `["0", ..., "9"]` for digits.
        train_counts: Images of each class in the returned train dataset.
        test_counts: Images of each class in the returned test dataset.
    """

    name: str
    num_classes: int
    image_shape: tuple[int | None, ...]
    class_names: list[str]
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]


def _check_args(name: str, image_size: int | None, test_fraction: float) -> None:
    """Raises a ValueError naming the first bad argument of `load`."""
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"name must be 'digits' or the name of any TensorFlow Datasets builder; got {name!r}"
        )
    bad_size = isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral)
    if image_size is not None and (bad_size or image_size not in IMAGE_SIZES):
        raise ValueError(
            "image_size must be a power of two between 8 and 64 (8, 16, 32 or 64), or None to "
            f"keep the native size; got {image_size!r}"
        )
    check_interval(test_fraction, "test_fraction", 0, 1, include_low=False, include_high=False)


def _counts(labels: np.ndarray, num_classes: int) -> tuple[int, ...]:
    return tuple(int(n) for n in np.bincount(labels, minlength=num_classes))


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 bundled 8x8 digits: float32 [N, 8, 8, 1] in 0..16, int32 labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32)[..., np.newaxis]
    images.flags.writeable = False
    labels = digits.target.astype(np.int32)
    labels.flags.writeable = False
    return images, labels


def _load_digits(image_size, split_seed, test_fraction):
    images, labels = _digits_arrays()
    if image_size not in (None, images.shape[1]):
        images = tf.image.resize(images, (image_size, image_size), "bilinear").numpy()
    images = np.clip(images / 16.0 * 2.0 - 1.0, -1.0, 1.0).astype(np.float32)
    is_test = _stratified_test_mask(labels, test_fraction, split_seed)
    train = tf.data.Dataset.from_tensor_slices((images[~is_test], labels[~is_test]))
    test = tf.data.Dataset.from_tensor_slices((images[is_test], labels[is_test]))
    info = DatasetInfo(
        name="digits",
        num_classes=10,
        image_shape=tuple(images.shape[1:]),
        class_names=[str(digit) for digit in range(10)],
        train_counts=_counts(labels[~is_test], 10),
        test_counts=_counts(labels[is_test], 10),
    )
    return train, test, info


def _not_prepared_error(name: str, data_dir: str | None) -> ValueError:
    where = data_dir or os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")
    shown = f"data_dir={data_dir!r}" if data_dir else f"data_dir=None (the TFDS default, {where})"
    return ValueError(
        f"Dataset {name!r} is not available offline in {shown}: it has "
        "not been prepared there, and tfgenaug never downloads. Prepare it once on a machine "
        "with internet access and copy it over, or pass the data_dir that holds it:\n"
        f"  tfds build {name} --data_dir={where}\n"
        "or, in Python:\n"
        f"  tfds.builder({name!r}, data_dir={where!r}).download_and_prepare()"
    )


def _tfds_builder(name: str, data_dir: str | None):
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError as error:
        raise ValueError(
            f"name must be 'digits' (scikit-learn's bundled digits, offline) or the name of any "
            f"TensorFlow Datasets builder (e.g. 'mnist', 'cifar10'); got name={name!r}, which is "
            "not a tfds builder"
        ) from error


def _supervised_keys(builder, name: str) -> tuple[str, str]:
    keys = builder.info.supervised_keys
    label_feature = builder.info.features[keys[1]] if keys and len(keys) == 2 else None
    if label_feature is None or not hasattr(label_feature, "num_classes"):
        raise ValueError(
            f"name={name!r} is not an image classification dataset: load needs tfds "
            "supervised_keys (image, label) with a ClassLabel label"
        )
    return keys


def _tfds_split(builder, name, data_dir, split, decoders=None):
    """`tfds.load(name, split=split, as_supervised=True, download=False)` with clear errors."""
    import tensorflow_datasets as tfds

    try:
        return tfds.load(
            name,
            split=split,
            as_supervised=True,
            data_dir=data_dir,
            download=False,
            decoders=decoders,
        )
    except (AssertionError, FileNotFoundError) as error:
        raise _not_prepared_error(name, data_dir) from error


def _load_tfds(name, image_size, data_dir, split_seed, test_fraction):
    import tensorflow_datasets as tfds

    builder = _tfds_builder(name, data_dir)
    image_key, label_key = _supervised_keys(builder, name)
    label_feature = builder.info.features[label_key]
    num_classes = int(label_feature.num_classes)
    splits = set(builder.info.splits.keys())  # empty until prepared (and under tfds mocks)
    if splits and "train" not in splits:
        raise ValueError(f"Dataset {name!r} has no 'train' split (it has {sorted(splits)})")
    has_test = "test" in splits if splits else True
    names = ["train", "test"] if has_test else ["train"]
    # Labels first, with the images left encoded, for the counts and a carved test split.
    skip = {image_key: tfds.decode.SkipDecoding()}
    label_sets = [_labels(ds) for ds in _tfds_split(builder, name, data_dir, names, skip)]
    datasets = _tfds_split(builder, name, data_dir, names)
    if not has_test:
        is_test = _stratified_test_mask(label_sets[0], test_fraction, split_seed)
        datasets = [_select(datasets[0], ~is_test), _select(datasets[0], is_test)]
        label_sets = [label_sets[0][~is_test], label_sets[0][is_test]]

    image_shape = tuple(builder.info.features[image_key].shape)
    if image_size is not None:
        image_shape = (image_size, image_size, image_shape[-1])

    def convert(image, label):
        image = tf.image.convert_image_dtype(image, tf.float32) * 2.0 - 1.0
        if image_size is not None and tuple(image.shape[:2]) != (image_size, image_size):
            image = tf.image.resize(image, (image_size, image_size), "bilinear", antialias=True)
        return tf.clip_by_value(image, -1.0, 1.0), tf.cast(label, tf.int32)

    train, test = (ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE) for ds in datasets)
    info = DatasetInfo(
        name=name,
        num_classes=num_classes,
        image_shape=image_shape,
        class_names=[str(class_name) for class_name in label_feature.names],
        train_counts=_counts(label_sets[0], num_classes),
        test_counts=_counts(label_sets[1], num_classes),
    )
    return train, test, info


def load(
    name: str = "digits",
    image_size: int | None = 16,
    data_dir: str | None = None,
    split_seed: int = 0,
    test_fraction: float = 0.3,
) -> tuple[tf.data.Dataset, tf.data.Dataset, DatasetInfo]:
    """Loads a labelled image dataset as train and test `tf.data` pipelines in `[-1, 1]`.

    `"digits"` is scikit-learn's bundled 8x8 digits (1797 images, 10 classes), resized once
    with bilinear interpolation and split into a fixed, stratified train pool and test set:
    `round(test_fraction * n)` of each class's n images go to test, chosen by `split_seed`.

    Any other name is a TensorFlow Datasets builder read from `data_dir` without downloading.
    Its `"test"` split is the test set; without one, a stratified `test_fraction` of
    `"train"` is carved off the same way. Images are resized per element (bilinear,
    antialiased) when `image_size` is given.

    Both results are *unbatched* and in a fixed order: shuffle and batch them yourself.

    Args:
        name: `"digits"` or the name of any TensorFlow Datasets builder, e.g. `"mnist"`.
        image_size: Side of the square images returned, 8, 16, 32 or 64; None keeps the
            native size.
        data_dir: TensorFlow Datasets directory holding the prepared dataset (unused for
            `"digits"`); None means the TFDS default (`~/tensorflow_datasets`).
        split_seed: Seed of the train/test split when it is made here.
        test_fraction: Share of each class put in the test set when the split is made here,
            in `(0, 1)`.

    Returns:
        `(train, test, info)`: two `tf.data.Dataset`s of `(image, label)` pairs, images
        float32 `[H, W, C]` in `[-1, 1]` and labels int32 scalars, and a `DatasetInfo`.

    Raises:
        ValueError: If an argument is invalid, `name` is neither `"digits"` nor a tfds
            builder, or the tfds dataset is not prepared in `data_dir`.

    Example:

    >>> train, test, info = tfgenaug.data.load("digits", image_size=16)
    >>> info.image_shape, info.num_classes, sum(info.train_counts), sum(info.test_counts)
    ((16, 16, 1), 10, 1258, 539)
    >>> batches = train.shuffle(2048, seed=0).batch(64)
    """
    _check_args(name, image_size, test_fraction)
    if name == "digits":
        return _load_digits(image_size, split_seed, test_fraction)
    return _load_tfds(name, image_size, data_dir, split_seed, test_fraction)
