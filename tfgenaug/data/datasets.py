"""Loading of labelled image datasets as `tf.data` pipelines in the trainers' range `[-1, 1]`.

`"digits"` (scikit-learn's bundled 8x8 digits) needs nothing but scikit-learn; `"folder:<path>"`
reads a folder with one sub-folder of images per class (`tfgenaug.data.folders`) and
`"npz:<path>"` a `.npz` file of images and labels (`tfgenaug.data.arrays`); any other name is
read from a TensorFlow Datasets directory that was prepared beforehand. Nothing is downloaded.
"""

import dataclasses
import functools
import os

import numpy as np
import tensorflow as tf

from tfgenaug.data.arrays import from_npz
from tfgenaug.data.folders import from_directory
from tfgenaug.data.info import AUTO_SIZE
from tfgenaug.data.info import DatasetInfo
from tfgenaug.data.info import class_counts_of
from tfgenaug.data.info import file_safe
from tfgenaug.data.info import parse_image_size
from tfgenaug.data.info import resolve_image_size
from tfgenaug.data.sampling import _labels
from tfgenaug.data.sampling import _select
from tfgenaug.data.sampling import _stratified_test_mask
from tfgenaug.validation import check_interval

USER_DATA_KINDS = ("folder", "npz")
"""The prefixes of `load` names that read a user's own data: `"folder:<path>"`, `"npz:<path>"`."""


def _user_data(name: str) -> tuple[str, str] | None:
    """`(kind, path)` for `"folder:<path>"` / `"npz:<path>"`, else None."""
    kind, colon, path = name.partition(":")
    return (kind, path) if colon and kind in USER_DATA_KINDS else None


def short_name(name: str) -> str:
    """A file-name-safe short name of a `load` name, for run directories and titles.

    Example:

    >>> short_name("digits"), short_name("folder:/data/isic/"), short_name("npz:~/x/cells.npz")
    ('digits', 'isic', 'cells')
    >>> short_name("mnist:3.*.*")
    'mnist'
    """
    user_data = _user_data(name)
    if user_data is not None:
        base = os.path.basename(os.path.normpath(os.path.expanduser(user_data[1])))
        name = os.path.splitext(base)[0] if user_data[0] == "npz" else base
    else:
        name = name.split(":")[0]
    return file_safe(name).strip("_") or "data"


def _check_args(name: str, image_size, test_fraction: float) -> tuple[int, int] | None:
    """Raises a ValueError naming the first bad argument of `load`; returns the size."""
    if not isinstance(name, str) or not name:
        raise ValueError(
            "name must be 'digits', 'folder:<path>', 'npz:<path>' or the name of any TensorFlow "
            f"Datasets builder; got {name!r}"
        )
    user_data = _user_data(name)
    if user_data is not None and not user_data[1]:
        raise ValueError(
            f"name={name!r} has no path after {user_data[0]!r}: write e.g. "
            f"name='{user_data[0]}:/data/my_images'"
        )
    if user_data is None and _looks_like_a_path(name):
        raise ValueError(
            f"name={name!r} is a path, not a dataset: load takes 'digits' or the name of a "
            "TensorFlow Datasets builder, e.g. 'mnist' (read from data_dir), and does not read "
            f"folders of images or .npz files by their bare path: write name='folder:{name}' for "
            f"a folder with one sub-folder of images per class, or name='npz:{name}' for a .npz "
            "file of images and labels"
        )
    check_interval(test_fraction, "test_fraction", 0, 1, include_low=False, include_high=False)
    try:
        return parse_image_size(resolve_image_size(image_size, user_data is not None))
    except ValueError as error:
        raise ValueError(f"{error} (or {AUTO_SIZE!r}: the kind's default)") from None


def _looks_like_a_path(name: str) -> bool:
    """Whether `name` is a file system path rather than a builder name like `"mnist/3.0.1"`."""
    return (
        os.path.isabs(name)
        or name.startswith(("./", "../", "~"))
        or name.lower().endswith((".npz", ".npy"))
        or (os.sep in name and os.path.exists(name))
    )


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


def _load_digits(size, split_seed, test_fraction):
    images, labels = _digits_arrays()
    if size not in (None, tuple(images.shape[1:3])):
        images = tf.image.resize(images, size, "bilinear").numpy()
    images = np.clip(images / 16.0 * 2.0 - 1.0, -1.0, 1.0).astype(np.float32)
    is_test = _stratified_test_mask(labels, test_fraction, split_seed)
    train = tf.data.Dataset.from_tensor_slices((images[~is_test], labels[~is_test]))
    test = tf.data.Dataset.from_tensor_slices((images[is_test], labels[is_test]))
    info = DatasetInfo(
        name="digits",
        num_classes=10,
        image_shape=tuple(images.shape[1:]),
        class_names=[str(digit) for digit in range(10)],
        train_counts=class_counts_of(labels[~is_test], 10),
        test_counts=class_counts_of(labels[is_test], 10),
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


def _load_tfds(name, size, data_dir, split_seed, test_fraction):
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
    if size is not None:
        image_shape = (*size, image_shape[-1])

    def convert(image, label):
        image = tf.image.convert_image_dtype(image, tf.float32) * 2.0 - 1.0
        if size is not None and tuple(image.shape[:2]) != size:
            image = tf.image.resize(image, size, "bilinear", antialias=True)
        return tf.clip_by_value(image, -1.0, 1.0), tf.cast(label, tf.int32)

    train, test = (ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE) for ds in datasets)
    info = DatasetInfo(
        name=name,
        num_classes=num_classes,
        image_shape=image_shape,
        class_names=[str(class_name) for class_name in label_feature.names],
        train_counts=class_counts_of(label_sets[0], num_classes),
        test_counts=class_counts_of(label_sets[1], num_classes),
    )
    return train, test, info


def _load_user_data(name, size, split_seed, test_fraction):
    """`load` of `"folder:<path>"` or `"npz:<path>"`, its `DatasetInfo` named `name`."""
    kind, path = _user_data(name)
    reader = from_directory if kind == "folder" else from_npz
    train, test, info = reader(
        path, image_size=size, split_seed=split_seed, test_fraction=test_fraction
    )
    return train, test, dataclasses.replace(info, name=name)


def load(
    name: str = "digits",
    image_size: int | tuple[int, int] | str | None = AUTO_SIZE,
    data_dir: str | None = None,
    split_seed: int = 0,
    test_fraction: float = 0.3,
) -> tuple[tf.data.Dataset, tf.data.Dataset, DatasetInfo]:
    """Loads a labelled image dataset as train and test `tf.data` pipelines in `[-1, 1]`.

    `"digits"` is scikit-learn's bundled 8x8 digits (1797 images, 10 classes), resized once
    with bilinear interpolation and split into a fixed, stratified train pool and test set:
    `round(test_fraction * n)` of each class's n images go to test, chosen by `split_seed`.

    `"folder:<path>"` reads your own images: a folder with one sub-folder of images per
    class, as `keras.utils.image_dataset_from_directory` reads it (see
    `tfgenaug.data.from_directory`; grayscale or RGB detected from the files). `"npz:<path>"`
    reads images and labels from a `.npz` file (see `tfgenaug.data.from_npz` for its keys;
    the pixel range is detected). Both carve off a test split like digits unless the data
    brings its own, and both hold the images in memory.

    Any other name is a TensorFlow Datasets builder read from `data_dir` without downloading.
    Its `"test"` split is the test set; without one, a stratified `test_fraction` of
    `"train"` is carved off the same way. Images are resized per element (bilinear,
    antialiased) when `image_size` is given.

    Both results are *unbatched* and in a fixed order: shuffle and batch them yourself.

    Args:
        name: `"digits"`, `"folder:<path>"`, `"npz:<path>"` or the name of any TensorFlow
            Datasets builder, e.g. `"mnist"`. A bare path is refused (write the prefix).
        image_size: Size of the images returned: an int >= 8 (a square) or
            `(height, width)` with both >= 8 (every default network takes any such size);
            None keeps the native size; `"auto"` (the default) is 16 for digits and
            tfds datasets and the native size for `"folder:"` and `"npz:"` data.
        data_dir: TensorFlow Datasets directory holding the prepared dataset (unused for
            the other kinds); None means the TFDS default (`~/tensorflow_datasets`).
        split_seed: Seed of the train/test split when it is made here.
        test_fraction: Share of each class put in the test set when the split is made here,
            in `(0, 1)`.

    Returns:
        `(train, test, info)`: two `tf.data.Dataset`s of `(image, label)` pairs, images
        float32 `[H, W, C]` in `[-1, 1]` and labels int32 scalars, and a `DatasetInfo`
        whose `name` is `name`.

    Raises:
        ValueError: If an argument is invalid, `name` is none of the kinds above (or is a
            bare path), the tfds dataset is not prepared in `data_dir`, or a folder or
            `.npz` file cannot be read as a labelled image dataset (the message says why).

    Example:

    >>> train, test, info = tfgenaug.data.load("digits", image_size=16)
    >>> info.image_shape, info.num_classes, sum(info.train_counts), sum(info.test_counts)
    ((16, 16, 1), 10, 1258, 539)
    >>> batches = train.shuffle(2048, seed=0).batch(64)
    >>> train, test, info = tfgenaug.data.load("folder:~/flowers", image_size=(48, 32))
    """
    size = _check_args(name, image_size, test_fraction)
    if name == "digits":
        return _load_digits(size, split_seed, test_fraction)
    if _user_data(name) is not None:
        return _load_user_data(name, size, split_seed, test_fraction)
    return _load_tfds(name, size, data_dir, split_seed, test_fraction)
