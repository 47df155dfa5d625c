"""Users' own labelled images from NumPy arrays or a `.npz` file, as `data.load` returns them.

`from_arrays` and `from_npz` give the same `(train, test, info)` as `tfgenaug.data.load`:
unbatched `tf.data.Dataset`s of `(image float32 [H, W, C] in [-1, 1], label int32)` and a
`DatasetInfo`. The arrays are converted once, in memory (the use case is small datasets).
"""

import io
import os
import warnings
import zipfile
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tfgenaug.data.info import MIN_SIDE
from tfgenaug.data.info import DatasetInfo
from tfgenaug.data.info import datasets_from_arrays
from tfgenaug.data.info import parse_image_size
from tfgenaug.data.info import to_model_images
from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import within_range
from tfgenaug.validation import check_interval
from tfgenaug.validation import check_seed

_RANGE_SLACK = 0.01  # values may pass `value_range` by 1% of its span (rounding); then clipped
_NPZ_SPLIT_KEYS = (
    ("x_train", "y_train", "x_test", "y_test"),
    ("train_images", "train_labels", "test_images", "test_labels"),
)
_NPZ_KEYS = (("images", "labels"), ("x", "y"))


# --- images -----------------------------------------------------------------------------------


def _nhwc(images, name: str) -> np.ndarray:
    """`images` as an NHWC NumPy array with 1 or 3 channels (NHW gets one channel)."""
    array = np.asarray(images)
    if array.dtype.kind not in "uif":
        raise ValueError(
            f"{name} must be an array of int or float pixels; got dtype {array.dtype}"
        )
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        hint = " (drop the alpha channel: images[..., :3])" if array.shape[-1:] == (4,) else ""
        raise ValueError(
            f"{name} must be NHWC with 1 (grayscale) or 3 (RGB) channels, or NHW for grayscale; "
            f"got shape {array.shape}{hint}"
        )
    if len(array) == 0:
        raise ValueError(f"{name} must hold at least one image; got shape {array.shape}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite; found NaN or infinite pixels")
    return array


def _detected_value_range(images: np.ndarray, name: str) -> tuple[float, float]:
    """uint8 → (0, 255), uint16 → (0, 65535) (16-bit scans, as 16-bit PNGs in folders);
    otherwise the first of [0, 1], [-1, 1], [0, 255] holding the values."""
    if images.dtype in (np.uint8, np.uint16):
        return 0.0, float(np.iinfo(images.dtype).max)
    low, high = float(images.min()), float(images.max())
    for candidate in ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0)):
        if candidate[0] <= low and high <= candidate[1]:
            return candidate
    raise ValueError(
        f"value_range=None cannot tell the range of {name}: its values lie in "
        f"[{low:g}, {high:g}], within none of [0, 1], [-1, 1] or [0, 255]; pass "
        "value_range=(low, high), the range your pixels use, to from_arrays or from_npz, "
        "or (for load('npz:...') and the binaries, which detect it) store the pixels in "
        "one of those ranges, e.g. as float32 in [0, 1], or as uint8 or uint16"
    )


def _value_range(value_range, arrays: dict[str, np.ndarray]) -> tuple[float, float]:
    """The one value range of all `arrays` (given or detected), their values checked in it."""
    if value_range is None:
        detected = {name: _detected_value_range(array, name) for name, array in arrays.items()}
        if len(set(detected.values())) > 1:
            shown = ", ".join(f"{name} look like {found}" for name, found in detected.items())
            raise ValueError(
                f"value_range=None found different ranges ({shown}); pass "
                "value_range=(low, high), the range both use"
            )
        return next(iter(detected.values()))
    low, high = check_value_range(value_range)
    for name, array in arrays.items():
        inside, smallest, largest = within_range(array, (low, high), _RANGE_SLACK)
        if not bool(inside):
            smallest, largest = float(smallest), float(largest)
            raise ValueError(
                f"{name} have values in [{smallest:g}, {largest:g}], outside "
                f"value_range=({low:g}, {high:g}); pass the range your pixels use"
            )
    return low, high


# --- labels ----------------------------------------------------------------------------------


def _label_array(labels, name: str, num_images: int, images_name: str) -> np.ndarray:
    """`labels` as a 1-D array of ints or strs (an `(N, 1)` column is flattened)."""
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D class ids or class names, shape (N,) or (N, 1); got shape "
            f"{array.shape} (for one-hot labels pass labels.argmax(-1))"
        )
    if len(array) != num_images:
        raise ValueError(
            f"{name} has {len(array)} labels but {images_name} has {num_images} images; "
            "they must have the same length"
        )
    if array.dtype.kind == "S" or (array.dtype.kind == "O" and _all_text(array)):
        array = np.array([_text(label) for label in array.tolist()], dtype=str)
    if array.dtype.kind == "f" and not (np.isfinite(array) & (array == np.round(array))).all():
        raise ValueError(f"{name} must hold whole numbers (class ids); found a fraction or NaN")
    if array.dtype.kind not in "uifU":
        raise ValueError(
            f"{name} must be int class ids or str class names; got dtype {array.dtype}"
        )
    return array


def _all_text(array: np.ndarray) -> bool:
    return len(array) > 0 and all(isinstance(label, str | bytes) for label in array.tolist())


def _text(label: str | bytes) -> str:
    return label.decode("utf-8") if isinstance(label, bytes) else label


def _checked_class_names(class_names) -> list[str]:
    message = f"class_names must be a non-empty sequence of unique strs; got {class_names!r}"
    if isinstance(class_names, str | bytes) or not isinstance(class_names, Sequence | np.ndarray):
        raise ValueError(message)
    names = list(class_names)
    if not names or len(set(names)) != len(names):
        raise ValueError(message)
    if not all(isinstance(class_name, str) for class_name in names):
        raise ValueError(message)
    return [str(class_name) for class_name in names]


def _class_ids(label_sets: dict[str, np.ndarray], class_names) -> tuple[list, list[str]]:
    """Maps every label array to int64 class ids; returns them and the class names."""
    kinds = {name: labels.dtype.kind == "U" for name, labels in label_sets.items()}
    if len(set(kinds.values())) > 1:
        raise ValueError(
            "labels and test_labels must both be class ids or both be class names; got "
            + ", ".join(f"{name} of dtype {array.dtype}" for name, array in label_sets.items())
        )
    names = None if class_names is None else _checked_class_names(class_names)
    if any(kinds.values()):
        return _ids_of_names(label_sets, names)
    return _checked_ids(label_sets, names)


def _ids_of_names(label_sets, names):
    if names is None:
        names = sorted(set().union(*(set(labels.tolist()) for labels in label_sets.values())))
    index = {class_name: class_id for class_id, class_name in enumerate(names)}
    for name, labels in label_sets.items():
        unknown = sorted(set(labels.tolist()) - set(index))
        if unknown:
            raise ValueError(
                f"{name} has class name {unknown[0]!r}, which is not in class_names={names!r}"
            )
    ids = [np.array([index[label] for label in labels], np.int64) for labels in label_sets.values()]
    return ids, names


def _checked_ids(label_sets, names):
    ids = [labels.astype(np.int64) for labels in label_sets.values()]
    for name, class_ids in zip(label_sets, ids, strict=True):
        if class_ids.min() < 0:
            raise ValueError(f"{name} must be class ids >= 0; found {int(class_ids.min())}")
        if names is not None and class_ids.max() >= len(names):
            raise ValueError(
                f"{name} has class id {int(class_ids.max())}, but class_names has "
                f"{len(names)} names: class ids must be < len(class_names)"
            )
    if names is None:
        num_classes = max(int(i.max()) for i in ids) + 1
        present = set().union(*(set(i.tolist()) for i in ids))
        missing = [k for k in range(num_classes) if k not in present]
        if missing:  # 1-based ids (1..K) make an empty class 0 that nothing can learn
            empty = ", ".join(str(k) for k in missing[:5]) + (", ..." if missing[5:] else "")
            # A warning, not an error: an unlabelled pool (`load_unlabelled`) ignores its
            # labels, whatever ids they leave out.
            warnings.warn(
                f"labels are class ids 0..{num_classes - 1} (num_classes = max label + 1), "
                f"but no image has class {empty}: a generator or classifier trained on "
                "them has nothing to learn there. Pass 0-based ids (e.g. labels - 1 for ids "
                "from 1), class names (str), or class_names=[...] naming every class",
                stacklevel=4)
        names = [str(class_id) for class_id in range(num_classes)]
    return ids, names


# --- public ----------------------------------------------------------------------------------


def _check_pair(test_images, test_labels) -> None:
    if (test_images is None) != (test_labels is None):
        raise ValueError(
            "test_images and test_labels go together: pass both for a separate test split, or "
            "neither to carve one off with test_fraction"
        )


def _check_native_sizes(images: np.ndarray, test_images: np.ndarray | None) -> None:
    height, width = images.shape[1:3]
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"images are {height}x{width} (height x width): with image_size=None, image sides "
            f"must be >= {MIN_SIDE}; pass image_size=(height, width) to resize them"
        )
    if test_images is not None and test_images.shape[1:3] != images.shape[1:3]:
        raise ValueError(
            f"test_images are {test_images.shape[1]}x{test_images.shape[2]} but images are "
            f"{height}x{width}: pass image_size=(height, width) to resize both"
        )


def from_arrays(
    images,
    labels,
    value_range: Sequence[float] | None = None,
    class_names: Sequence[str] | None = None,
    test_images=None,
    test_labels=None,
    image_size: int | Sequence[int] | None = None,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    name: str = "arrays",
) -> tuple[tf.data.Dataset, tf.data.Dataset, DatasetInfo]:
    """Makes `tfgenaug.data.load`'s `(train, test, info)` from NumPy arrays.

    Images are ints or floats, NHWC with 1 or 3 channels or NHW (one channel). With
    `value_range=None` their range is detected: uint8 is `(0, 255)`, uint16 `(0, 65535)`
    (16-bit scans keep their depth); other ints and floats within `[0, 1]`
    are `(0, 1)`, within `[-1, 1]` with negatives `(-1, 1)`, within `[0, 255]` with a
    maximum above 1 `(0, 255)`; anything else is an error. Pass `value_range` to be sure
    (e.g. very dark `[0, 255]` float images all below 1 would pass for `(0, 1)`).

    Labels are int class ids (any int dtype, or floats holding whole numbers; an `(N, 1)`
    column is fine), with `num_classes = max label + 1` unless `class_names` is given (a
    class id below it that no image has gets a warning: 1-based ids make an empty class
    0); or
    str class names, mapped to ids by their position in `class_names` (default: the sorted
    unique names, so `["dog", "cat"]` gives `cat=0, dog=1`).

    Without `test_images`, a fixed stratified test split is carved off as `load` does:
    `round(test_fraction * n)` seeded-random images of each class's n.

    Args:
        images: Pixels, `[N, H, W, C]` with C 1 or 3, or `[N, H, W]`.
        labels: `[N]` (or `[N, 1]`) class ids or class names.
        value_range: `(low, high)` of the pixels, or None to detect it.
        class_names: The K class names, in class-id order; None: `"0"`, `"1"`, ... for
            ids, the sorted unique names for str labels.
        test_images: Optional separate test images, in the same form and range as `images`.
        test_labels: Their labels (given exactly when `test_images` is).
        image_size: None keeps the native size (sides must be >= 8); an int >= 8 or
            `(height, width)` resizes (bilinear, antialiased).
        test_fraction: Share of each class carved off as the test split, in `(0, 1)`
            (unused with `test_images`).
        split_seed: Seed of the carved split; the same seed gives the same split.
        name: `DatasetInfo.name`.

    Returns:
        `(train, test, info)`: unbatched `tf.data.Dataset`s of `(image, label)`, images
        float32 `[H, W, C]` in `[-1, 1]` and labels int32, and a `DatasetInfo`.

    Raises:
        ValueError: If an argument has the wrong form (each message names it): images not
            NHWC/NHW with 1 or 3 channels, an undetectable or violated value range, labels
            of another length than images, class ids outside `class_names`, etc.

    Example:

    >>> images = np.random.default_rng(0).integers(0, 256, (90, 28, 28), np.uint8)
    >>> train, test, info = tfgenaug.data.from_arrays(images, np.arange(90) % 3)
    >>> info.image_shape, info.class_names, info.train_counts, info.test_counts
    ((28, 28, 1), ['0', '1', '2'], (24, 24, 24), (6, 6, 6))
    """
    size = parse_image_size(image_size)
    check_interval(test_fraction, "test_fraction", 0, 1, include_low=False, include_high=False)
    split_seed = check_seed(split_seed, "split_seed")
    _check_pair(test_images, test_labels)
    arrays = {"images": _nhwc(images, "images")}
    label_sets = {"labels": _label_array(labels, "labels", len(arrays["images"]), "images")}
    if test_images is not None:
        arrays["test_images"] = _nhwc(test_images, "test_images")
        label_sets["test_labels"] = _label_array(
            test_labels, "test_labels", len(arrays["test_images"]), "test_images"
        )
        if arrays["test_images"].shape[-1] != arrays["images"].shape[-1]:
            raise ValueError(
                f"test_images have {arrays['test_images'].shape[-1]} channels but images have "
                f"{arrays['images'].shape[-1]}; both must be grayscale or both RGB"
            )
    if size is None:
        _check_native_sizes(arrays["images"], arrays.get("test_images"))
    low_high = _value_range(value_range, arrays)
    ids, names = _class_ids(label_sets, class_names)
    converted = [to_model_images(array, low_high, size) for array in arrays.values()]
    pairs = list(zip(converted, ids, strict=True))
    test = pairs[1] if len(pairs) > 1 else None
    return datasets_from_arrays(name, names, pairs[0], test, test_fraction, split_seed)


def _read_npz(path: str):
    if not tf.io.gfile.exists(path):
        raise ValueError(
            f"path={path!r} does not exist; from_npz needs a .npz file written by numpy.savez"
        )
    if tf.io.gfile.isdir(path):
        raise ValueError(
            f"path={path!r} is a folder, not a .npz file (for a folder with one sub-folder of "
            "images per class use from_directory)"
        )
    with tf.io.gfile.GFile(path, "rb") as file:
        contents = io.BytesIO(file.read())
    try:
        archive = np.load(contents, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"path={path!r} is not a readable .npz file ({error}); write it with "
            "numpy.savez(path, images=..., labels=...)"
        ) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"path={path!r} holds one array (a .npy file), not a .npz archive of named arrays; "
            "write it with numpy.savez(path, images=..., labels=...)"
        )
    return archive


def _npz_keys(archive, path: str) -> tuple[str, ...]:
    """The keys to read: a train/test set of four, or an images/labels pair."""
    found = set(archive.files)
    for keys in _NPZ_SPLIT_KEYS + _NPZ_KEYS:
        if found.issuperset(keys):
            return keys
    for keys in _NPZ_SPLIT_KEYS:
        if found.issuperset(keys[:2]) and not found & set(keys[2:]):
            return keys[:2]
    accepted = " or ".join(str(keys) for keys in _NPZ_KEYS + _NPZ_SPLIT_KEYS)
    raise ValueError(
        f"path={path!r} has keys {sorted(found)}, none of the sets from_npz reads: {accepted} "
        "(a train/test set may also come without its test keys)"
    )


def _npz_array(archive, key: str, path: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as error:  # object arrays need pickle, which is never allowed
        raise ValueError(
            f"path={path!r}: array {key!r} cannot be read without pickle ({error}); save it "
            "as a numeric or str array"
        ) from error


def from_npz(
    path: str | os.PathLike,
    value_range: Sequence[float] | None = None,
    class_names: Sequence[str] | None = None,
    image_size: int | Sequence[int] | None = None,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    name: str | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset, DatasetInfo]:
    """Reads images and labels from a `.npz` file (`numpy.savez`) into `from_arrays`.

    The keys read, the first set present winning: `("x_train", "y_train", "x_test",
    "y_test")` or `("train_images", "train_labels", "test_images", "test_labels")` for a
    separate test split (`keras.datasets` files use the first); `("images", "labels")`;
    `("x", "y")`; or `("x_train", "y_train")` / `("train_images", "train_labels")` alone,
    and the test split is carved off. An optional `"class_names"` array gives the class
    names when `class_names` is None. Nothing is unpickled.

    Args:
        path: The `.npz` file.
        value_range: `(low, high)` of the pixels, or None to detect it (see `from_arrays`).
        class_names: The K class names, in class-id order, or None.
        image_size: None keeps the native size; an int >= 8 or `(height, width)` resizes.
        test_fraction: Share of each class carved off as the test split, in `(0, 1)`,
            when the file has no test arrays.
        split_seed: Seed of the carved split.
        name: `DatasetInfo.name`; None gives `"npz:<path>"`.

    Returns:
        `(train, test, info)`, as `from_arrays` and `tfgenaug.data.load` return them.

    Raises:
        ValueError: If `path` does not exist or is not a `.npz` archive, none of the key
            sets above is in it (the message lists the keys found), or `from_arrays`
            rejects the arrays.

    Example:

    >>> images = np.random.default_rng(0).integers(0, 256, (90, 28, 28, 3), np.uint8)
    >>> np.savez("/tmp/three.npz", images=images, labels=np.arange(90) % 3)
    >>> train, test, info = tfgenaug.data.from_npz("/tmp/three.npz")
    >>> info.num_classes, info.name
    (3, 'npz:/tmp/three.npz')
    """
    path = os.path.expanduser(os.fspath(path))
    with _read_npz(path) as archive:
        keys = _npz_keys(archive, path)
        arrays = [_npz_array(archive, key, path) for key in keys]
        if class_names is None and "class_names" in archive.files:
            class_names = _npz_array(archive, "class_names", path).astype(str).tolist()
    test_images, test_labels = arrays[2:] if len(arrays) == 4 else (None, None)
    return from_arrays(
        arrays[0],
        arrays[1],
        value_range=value_range,
        class_names=class_names,
        test_images=test_images,
        test_labels=test_labels,
        image_size=image_size,
        test_fraction=test_fraction,
        split_seed=split_seed,
        name=f"npz:{path}" if name is None else name,
    )
