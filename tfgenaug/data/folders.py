"""Users' own labelled images from a folder of class sub-folders, as `data.load` returns them.

The layout is the one `keras.utils.image_dataset_from_directory(labels="inferred")` reads:

```
path/
    cat/  1.png  2.jpg  ...
    dog/  a.png  more/b.png  ...
```

Class names are the sorted sub-folder names (hidden ones skipped) and a label is a class's
position among them; an image is any `.bmp`, `.gif`, `.jpeg`, `.jpg` or `.png` file in a class
folder or below it, read in sorted order (for a GIF, its first frame) as 8-bit pixels. Every
image is read into memory once: the use case is small datasets, and the counts come exact.
"""

import os
import re

import numpy as np
import tensorflow as tf

from tfgenaug.data import batch_checks
from tfgenaug.data.info import MIN_SIDE
from tfgenaug.data.info import DatasetInfo
from tfgenaug.data.info import datasets_from_arrays
from tfgenaug.data.info import file_safe
from tfgenaug.data.info import parse_image_size
from tfgenaug.data.info import to_model_images
from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import from_model_range
from tfgenaug.data.value_range import range_text
from tfgenaug.data.value_range import to_model_range
from tfgenaug.validation import check_choice
from tfgenaug.validation import check_interval
from tfgenaug.validation import check_seed

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
"""The file extensions read (those of `keras.utils.image_dataset_from_directory`)."""

COLOR_MODES = {"grayscale": 1, "rgb": 3}
"""`color_mode` values besides None, and the channels each gives."""

_LAYOUT = "a folder with one sub-folder of images per class, e.g. <path>/cat/1.png"
_ALPHA_KINDS = {2: "grayscale+alpha", 4: "RGBA"}
BIT_DEPTHS = (8, 16)  # of the PNG files `to_directory` writes


def _folder(directory, name: str) -> str:
    """`directory` as a str path (`~` expanded), or a ValueError naming `name`."""
    if not isinstance(directory, str | os.PathLike):
        raise ValueError(f"{name} must be the path of {_LAYOUT}; got {directory!r}")
    directory = os.path.expanduser(os.fspath(directory))
    if not tf.io.gfile.exists(directory):
        raise ValueError(f"{name}={directory!r} does not exist; it must be {_LAYOUT}")
    if not tf.io.gfile.isdir(directory):
        raise ValueError(f"{name}={directory!r} is a file, not a folder; it must be {_LAYOUT}")
    return directory


def _class_folders(directory: str, name: str) -> list[str]:
    entries = sorted(entry.rstrip("/") for entry in tf.io.gfile.listdir(directory))
    folders = [
        entry
        for entry in entries
        if not entry.startswith(".") and tf.io.gfile.isdir(os.path.join(directory, entry))
    ]
    if not folders:
        raise ValueError(f"{name}={directory!r} has no class sub-folders; it must be {_LAYOUT}")
    return folders


def _image_files(class_folder: str) -> list[str]:
    """Every image file in `class_folder` and below, in sorted order."""
    files = []
    for root, _, names in sorted(tf.io.gfile.walk(class_folder), key=lambda entry: entry[0]):
        files += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith(IMAGE_FORMATS)]
    return files


def _index(directory: str, name: str) -> tuple[list[str], list[str], np.ndarray]:
    """`(class_names, files, class ids)` of a folder of class sub-folders."""
    class_names = _class_folders(directory, name)
    files, labels = [], []
    for class_id, class_name in enumerate(class_names):
        class_files = _image_files(os.path.join(directory, class_name))
        if not class_files:
            raise ValueError(
                f"{name}={directory!r}: class folder {class_name!r} has no images (files "
                f"ending in {', '.join(IMAGE_FORMATS)}); add images or remove the folder"
            )
        files += class_files
        labels += [class_id] * len(class_files)
    return class_names, files, np.asarray(labels, np.int64)


def _op_message(error: tf.errors.OpError) -> str:
    """The readable part of a TensorFlow op error ("Unknown image file format. ...")."""
    message = re.sub(r"^\{\{[^}]*\}\}\s*", "", error.message)
    return re.sub(r"\s*\[Op:\w+\]$", "", message)


def _decode(file: str) -> np.ndarray:
    """The pixels `[H, W, C]` of an image file, C as stored (1 to 4): uint16 for a 16-bit
    PNG (decoded as uint8 it was rounded to 256 levels without a word, a loss for medical
    and industrial scans), uint8 for every other file."""
    try:
        contents = tf.io.read_file(file)
        if _is_16_bit_png(contents.numpy()[:_PNG_DEPTH_BYTE + 1]):
            return tf.io.decode_png(contents, channels=0, dtype=tf.uint16).numpy()
        image = tf.io.decode_image(contents, channels=0, dtype=tf.uint8,
                                   expand_animations=False)
    except tf.errors.OpError as error:
        raise ValueError(
            f"image file {file!r} is corrupt or not an image ({_op_message(error)}); replace or "
            "remove it"
        ) from error
    return image.numpy()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DEPTH_BYTE = 24  # the bit depth's offset: signature, IHDR length and tag, width, height


def _is_16_bit_png(head: bytes) -> bool:
    """Whether a file starting with `head` is a PNG of 16 bits per channel."""
    return (head.startswith(_PNG_SIGNATURE) and len(head) > _PNG_DEPTH_BYTE
            and head[_PNG_DEPTH_BYTE] == 16)


def _native_channels(files: list[str], images: list[np.ndarray]) -> int:
    """The channels all images share, 1 or 3, for `color_mode=None`; else a ValueError."""
    first_file_with = {}
    for file, image in zip(files, images, strict=True):
        first_file_with.setdefault(image.shape[-1], file)
    for channels, kind in _ALPHA_KINDS.items():
        if channels in first_file_with:
            raise ValueError(
                f"image file {first_file_with[channels]!r} is {kind} ({channels} channels): "
                "with color_mode=None images must all be grayscale (1 channel) or all RGB (3); "
                "pass color_mode='grayscale' or color_mode='rgb' to convert (the alpha channel "
                "is dropped)"
            )
    if len(first_file_with) > 1:
        raise ValueError(
            f"with color_mode=None images must all be grayscale or all RGB, but "
            f"{first_file_with[1]!r} is grayscale and {first_file_with[3]!r} is RGB; pass "
            "color_mode='grayscale' or color_mode='rgb' to convert them all"
        )
    return next(iter(first_file_with))


def _with_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """Pixels with their alpha channel dropped, converted to 1 or 3 channels."""
    if image.shape[-1] in _ALPHA_KINDS:
        image = image[..., :-1]
    if image.shape[-1] == channels:
        return image
    if channels == 3:
        return np.repeat(image, 3, axis=-1)
    return tf.image.rgb_to_grayscale(image).numpy()


def _check_native_sizes(files: list[str], images: list[np.ndarray]) -> None:
    """With `image_size=None`: one size for all, sides >= 8; else a ValueError."""
    first_file_of = {}
    for file, image in zip(files, images, strict=True):
        first_file_of.setdefault(image.shape[:2], file)
    if len(first_file_of) > 1:
        (size_a, file_a), (size_b, file_b) = list(first_file_of.items())[:2]
        raise ValueError(
            f"image_size=None keeps the native size, but the images' sizes differ: {file_a!r} "
            f"is {size_a[0]}x{size_a[1]} and {file_b!r} is {size_b[0]}x{size_b[1]} (height x "
            "width); pass image_size=(height, width) (or an int, for squares) to resize them all"
        )
    (height, width), file = next(iter(first_file_of.items()))
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"image file {file!r} is {height}x{width} (height x width): with image_size=None "
            f"image sides must be >= {MIN_SIDE}; pass image_size=(height, width) to resize"
        )


def _model_images(images: list[np.ndarray], size: tuple[int, int] | None) -> np.ndarray:
    """uint8 or uint16 images (one size, or any with `size`) → float32 `[N, H, W, C]` in
    `[-1, 1]`, each from its own type's range (0 to 255 or 65535)."""
    by_kind = {}
    for position, image in enumerate(images):
        by_kind.setdefault((image.shape, image.dtype), []).append(position)
    out_shape = images[0].shape[:2] if size is None else size
    result = np.empty((len(images), *out_shape, images[0].shape[-1]), np.float32)
    for (_, dtype), positions in by_kind.items():
        stack = np.stack([images[position] for position in positions])
        result[positions] = to_model_images(stack, (0, np.iinfo(dtype).max), size)
    return result


def _check_args(image_size, color_mode, test_fraction, split_seed):
    size = parse_image_size(image_size)
    check_choice(color_mode, "color_mode", (None, *COLOR_MODES))
    check_interval(test_fraction, "test_fraction", 0, 1, include_low=False, include_high=False)
    return size, check_seed(split_seed, "split_seed")


def from_directory(
    path: str | os.PathLike,
    image_size: int | tuple[int, int] | None = None,
    color_mode: str | None = None,
    test_directory: str | os.PathLike | None = None,
    test_fraction: float = 0.2,
    split_seed: int = 0,
) -> tuple[tf.data.Dataset, tf.data.Dataset, DatasetInfo]:
    """Reads a folder with one sub-folder of images per class, as `tfgenaug.data.load` does.

    Class names are the sorted sub-folder names, a label is a class's index among them (the
    rules of `keras.utils.image_dataset_from_directory(labels="inferred")`). Pixels map
    to `[-1, 1]` exactly: 0 → -1 and white → 1 (255 in 8-bit files, 65535 in 16-bit PNGs,
    which keep their depth).

    Without `test_directory` a fixed stratified test split is carved off as `load` does:
    `round(test_fraction * n)` seeded-random images of each class's n.

    Args:
        path: The folder of class sub-folders.
        image_size: None keeps the native size (all images must then share one, with sides
            >= 8); an int >= 8 (square) or `(height, width)` with both >= 8 resizes every
            image (bilinear, antialiased).
        color_mode: None detects grayscale or RGB from the files (they must all be one or
            the other, without alpha); `"grayscale"` or `"rgb"` converts every image, dropping
            any alpha channel.
        test_directory: Optional folder of test images with the same class sub-folders.
        test_fraction: Share of each class carved off as the test split, in `(0, 1)`
            (unused with `test_directory`).
        split_seed: Seed of the carved split; the same seed gives the same split.

    Returns:
        `(train, test, info)`: unbatched `tf.data.Dataset`s of `(image, label)`, images
        float32 `[H, W, C]` in `[-1, 1]` and labels int32, and a `DatasetInfo` named
        `"folder:<path>"`.

    Raises:
        ValueError: If `path` (or `test_directory`) does not exist, is not a folder, has no
            class sub-folders or a class folder without images; the test classes differ
            from `path`'s; a file is corrupt (the message names it); with `color_mode=None`,
            an image has alpha or grayscale and RGB files mix; with `image_size=None`, sizes
            differ or a side is below 8; or another argument has the wrong form.

    Example:

    >>> train, test, info = tfgenaug.data.from_directory("flowers", image_size=32)
    >>> info.class_names, info.image_shape
    (['daisy', 'rose', 'tulip'], (32, 32, 3))
    >>> batches = train.shuffle(1024, seed=0).batch(64)
    """
    size, split_seed = _check_args(image_size, color_mode, test_fraction, split_seed)
    path = _folder(path, "path")
    class_names, files, labels = _index(path, "path")
    test_files, test_labels = [], None
    if test_directory is not None:
        test_directory = _folder(test_directory, "test_directory")
        test_class_names, test_files, test_labels = _index(test_directory, "test_directory")
        if test_class_names != class_names:
            raise ValueError(
                f"test_directory={test_directory!r} must have the class sub-folders of "
                f"path={path!r}: path has {class_names}, test_directory has {test_class_names}"
            )
    all_files = files + test_files
    images = [_decode(file) for file in all_files]
    if color_mode is None:
        channels = _native_channels(all_files, images)
    else:
        channels = COLOR_MODES[color_mode]
    images = [_with_channels(image, channels) for image in images]
    if size is None:
        _check_native_sizes(all_files, images)
    images = _model_images(images, size)
    train = images[: len(files)], labels
    test = None if test_labels is None else (images[len(files) :], test_labels)
    return datasets_from_arrays(
        f"folder:{path}", class_names, train, test, test_fraction, split_seed
    )


def to_directory(
    path: str | os.PathLike,
    images,
    labels,
    class_names,
    value_range=(-1.0, 1.0),
    bit_depth: int = 8,
) -> str:
    """Writes images as PNG files, one sub-folder per class: the layout `from_directory` reads.

    The folder appears whole or not at all: the files are written to a hidden sibling
    that is renamed to `path` at the end. Existing data is never touched: `path` must not
    exist or be an empty folder.

    Args:
        path: The folder to create.
        images: `(N, H, W, C)` images in `value_range`, C 1 or 3; quantized to
            `bit_depth` bits.
        labels: `(N,)` class ids in `[0, len(class_names))`.
        class_names: The sub-folder name of each class (characters other than letters,
            digits, `.`, `-` and `_` become `_`).
        value_range: `(low, high)` of `images`. Defaults to `(-1, 1)`.
        bit_depth: 8, or 16 for 16-bit PNGs (e.g. images generated for 16-bit scans;
            `from_directory` reads them at that depth). Defaults to 8.

    Returns:
        `path`, as a str.

    Raises:
        ValueError: If `path` exists and is not an empty folder, or the batch fails the
            checks every batch gets (`tfgenaug.data.batch_checks`: shapes, label dtype
            and range, finite images within `value_range`) or has other than 1 or 3
            channels.

    Example:

    >>> images = generator(np.repeat(np.arange(3), 10), seed=0)  # in [0, 1]
    >>> to_directory("generated", images, np.repeat(np.arange(3), 10), ["a", "b", "c"],
    ...              value_range=(0, 1))
    'generated'
    """
    path = os.path.expanduser(os.fspath(path))
    if tf.io.gfile.exists(path) and (
        not tf.io.gfile.isdir(path) or tf.io.gfile.listdir(path)
    ):
        raise ValueError(f"path={path!r} already exists: to_directory writes a new folder (or "
                         "fills an empty one) and never overwrites images")
    if isinstance(bit_depth, bool) or bit_depth not in BIT_DEPTHS:
        raise ValueError(f"bit_depth must be 8 or 16 (bits per channel of the PNG files); "
                         f"got {bit_depth!r}")
    pixels, labels, folders = _checked_output(images, labels, class_names, value_range,
                                              bit_depth)
    parent, base = os.path.split(os.path.normpath(path))
    staging = os.path.join(parent, f".{base}.tmp-{os.getpid()}")
    counters = [0] * len(folders)
    for image, label in zip(pixels, labels, strict=True):
        folder = os.path.join(staging, folders[label])
        tf.io.gfile.makedirs(folder)
        name = os.path.join(folder, f"{counters[label]:05d}.png")
        tf.io.write_file(name, tf.io.encode_png(image))
        counters[label] += 1
    if tf.io.gfile.exists(path):
        tf.io.gfile.rmtree(path)  # the empty folder the caller made
    tf.io.gfile.rename(staging, path)
    return path


def _checked_output(images, labels, class_names, value_range, bit_depth: int = 8):
    """`(uint8 or uint16 pixels, int labels, folder names)`, the batch checked as every
    batch is."""
    names = [file_safe(str(name)) or "_" for name in class_names]
    if len(set(names)) != len(names):
        raise ValueError(f"class_names must give distinct folder names; got {list(class_names)}")
    value_range = check_value_range(value_range)
    spec = batch_checks.BatchSpec(
        "to_directory", labels=batch_checks.CLASS_IDS, num_classes=len(names),
        value_range=value_range, range_name=f"value_range={range_text(value_range)}",
        range_fix="pass the range your images use as value_range", range_off=None,
    )
    images, labels = np.asarray(images), np.asarray(labels)
    batch_checks.check_static(spec, images, labels)
    batch_checks.checked(spec, images, labels)
    if images.shape[-1] not in (1, 3):
        raise ValueError(f"images must be (N, H, W, C) with C 1 or 3; got shape {images.shape}")
    labels = labels.reshape(-1)
    white = 2**bit_depth - 1
    unit = from_model_range(to_model_range(images, value_range), (0, white))
    pixels = np.clip(np.rint(unit), 0, white).astype(np.uint8 if bit_depth == 8 else np.uint16)
    return pixels, labels.astype(int), names
