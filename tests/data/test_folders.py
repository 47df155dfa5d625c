"""Tests for tfgenaug.data.folders: from_directory on folders of class sub-folders."""

import collections
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfgenaug.data import as_numpy
from tfgenaug.data import class_counts
from tfgenaug.data import few_shot
from tfgenaug.data import from_directory
from tfgenaug.data import imbalance
from tfgenaug.data import to_directory

CLASSES = ("cat", "dog", "emu")  # written in another order below: names come out sorted
PER_CLASS = 5


def write_png(path, pixels) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(np.asarray(pixels, np.uint8)))
    return path


def random_pixels(seed, shape):
    pixels = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    pixels[0, 0], pixels[0, 1] = 255, 0  # the range's ends, to check they map exactly
    return pixels


def make_folder(root, shape, per_class=PER_CLASS, classes=("emu", "cat", "dog"), seed=0):
    """Writes `per_class` PNGs of `shape` per class; returns the root and the written pixels."""
    written = {}
    for class_name in classes:
        for i in range(per_class):
            seed += 1
            pixels = random_pixels(seed, shape)
            path = write_png(os.path.join(root, class_name, f"{i:02d}.png"), pixels)
            written[path] = (pixels, sorted(classes).index(class_name))
    return str(root), written


def as_model(pixels):
    return pixels.astype(np.float32) / 127.5 - 1.0


def multiset(images, labels):
    pairs = zip(images, labels, strict=True)
    return collections.Counter((image.tobytes(), int(label)) for image, label in pairs)


@pytest.fixture(scope="module")
def gray(tmp_path_factory):
    return make_folder(tmp_path_factory.mktemp("gray"), (28, 28, 1))


@pytest.fixture(scope="module")
def rgb(tmp_path_factory):
    return make_folder(tmp_path_factory.mktemp("rgb"), (100, 60, 3), per_class=4)


@pytest.fixture(scope="module")
def gray_split(gray):
    return from_directory(gray[0])


def both_splits(train, test):
    x_train, y_train = as_numpy(train)
    x_test, y_test = as_numpy(test)
    return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])


# --- reading -----------------------------------------------------------------------------------


def test_grayscale_native_size(gray, gray_split):
    root, written = gray
    train, test, info = gray_split
    for ds in (train, test):
        assert ds.element_spec == (
            tf.TensorSpec((28, 28, 1), tf.float32),
            tf.TensorSpec((), tf.int32),
        )
    assert info.name == f"folder:{root}"
    assert info.class_names == list(CLASSES)
    assert info.num_classes == 3 and info.image_shape == (28, 28, 1)
    assert info.train_counts == (4, 4, 4) and info.test_counts == (1, 1, 1)
    images, labels = both_splits(train, test)
    assert images.min() == -1.0 and images.max() == 1.0
    expected = [(as_model(pixels), label) for pixels, label in written.values()]
    assert multiset(images, labels) == multiset(*zip(*expected, strict=True))


def test_pixel_values_map_exactly(gray_split):
    images, _ = as_numpy(gray_split[0])
    np.testing.assert_array_equal(images[:, 0, 0, 0], 1.0)  # 255
    np.testing.assert_array_equal(images[:, 0, 1, 0], -1.0)  # 0


def test_rgb_native_size_is_height_by_width(rgb):
    root, written = rgb
    train, test, info = from_directory(root, test_fraction=0.25)
    assert info.image_shape == (100, 60, 3)
    assert train.element_spec[0].shape == (100, 60, 3)
    assert info.train_counts == (3, 3, 3) and info.test_counts == (1, 1, 1)
    images, labels = both_splits(train, test)
    expected = [(as_model(pixels), label) for pixels, label in written.values()]
    assert multiset(images, labels) == multiset(*zip(*expected, strict=True))


@pytest.mark.parametrize("image_size, shape", [(16, (16, 16, 3)), ((32, 20), (32, 20, 3))])
def test_resized(rgb, image_size, shape):
    train, test, info = from_directory(rgb[0], image_size=image_size)
    assert info.image_shape == shape
    images, labels = both_splits(train, test)
    assert images.shape == (12, *shape) and labels.dtype == np.int32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert abs(images.mean()) < 0.1  # uniform noise stays centred on 0


def test_resize_keeps_a_constant_image(tmp_path):
    write_png(str(tmp_path / "a" / "white.png"), np.full((20, 30, 3), 255))
    write_png(str(tmp_path / "b" / "black.png"), np.zeros((20, 30, 3)))
    train, test, _ = from_directory(tmp_path, image_size=8, test_fraction=0.1)
    images, labels = as_numpy(train)
    np.testing.assert_allclose(images[labels == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(images[labels == 1], -1.0, atol=1e-6)


def test_color_mode_rgb_repeats_gray(gray):
    train, _, info = from_directory(gray[0], color_mode="rgb")
    assert info.image_shape == (28, 28, 3)
    images, _ = as_numpy(train)
    np.testing.assert_array_equal(images[..., 0], images[..., 2])
    np.testing.assert_array_equal(images[..., 1], images[..., 2])


def test_color_mode_grayscale_converts_rgb(rgb):
    train, _, info = from_directory(rgb[0], color_mode="grayscale")
    assert info.image_shape == (100, 60, 1)
    images, _ = as_numpy(train)
    np.testing.assert_array_equal(images[:, 0, 0, 0], 1.0)  # white stays white
    np.testing.assert_array_equal(images[:, 0, 1, 0], -1.0)


def test_formats_nested_folders_hidden_folders_and_other_files(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "a").mkdir()
    for name, image_format in [("0.bmp", "BMP"), ("1.gif", "GIF"), ("2.JPG", "JPEG"),
                               ("3.jpeg", "JPEG")]:
        pixels = rng.integers(0, 256, (9, 10, 3), np.uint8)
        Image.fromarray(pixels).save(tmp_path / "a" / name, format=image_format)
    write_png(str(tmp_path / "b" / "deeper" / "x.png"), rng.integers(0, 256, (9, 10, 3)))
    (tmp_path / "b" / "notes.txt").write_text("not an image")
    write_png(str(tmp_path / ".hidden" / "x.png"), rng.integers(0, 256, (9, 10, 3)))
    (tmp_path / "README.md").write_text("top-level files are ignored")
    train, test, info = from_directory(tmp_path, test_fraction=0.01)
    assert info.class_names == ["a", "b"]
    assert info.image_shape == (9, 10, 3)
    assert info.train_counts == (4, 1) and info.test_counts == (0, 0)


# --- splits -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def larger(tmp_path_factory):
    root, _ = make_folder(tmp_path_factory.mktemp("larger"), (8, 8, 1), per_class=10)
    return root


def test_split_is_stratified(larger):
    train, test, info = from_directory(larger, test_fraction=0.3)
    assert info.train_counts == (7, 7, 7) and info.test_counts == (3, 3, 3)
    np.testing.assert_array_equal(class_counts(test, 3), [3, 3, 3])
    x_train, _ = as_numpy(train)
    x_test, _ = as_numpy(test)
    assert not set(map(bytes, x_train)) & set(map(bytes, x_test))


def test_split_is_seeded(larger):
    def test_images(seed):
        return as_numpy(from_directory(larger, test_fraction=0.3, split_seed=seed)[1])[0]

    np.testing.assert_array_equal(test_images(0), test_images(0))
    assert not np.array_equal(test_images(0), test_images(1))


def test_test_directory(tmp_path, gray):
    test_root, written = make_folder(tmp_path, (28, 28, 1), per_class=2, seed=100)
    train, test, info = from_directory(gray[0], test_directory=test_root, test_fraction=0.5)
    assert info.train_counts == (5, 5, 5) and info.test_counts == (2, 2, 2)
    expected = [(as_model(pixels), label) for pixels, label in written.values()]
    assert multiset(*as_numpy(test)) == multiset(*zip(*expected, strict=True))


def test_few_shot_and_imbalance_on_the_result(gray_split):
    train, _, info = gray_split
    subset = few_shot(train, count=2, seed=0)
    np.testing.assert_array_equal(class_counts(subset, info.num_classes), [2, 2, 2])
    rare = imbalance(train, minority_classes=[1], ratio=0.5, seed=0)
    np.testing.assert_array_equal(class_counts(rare, info.num_classes), [4, 2, 4])


# --- conversions that need color_mode -----------------------------------------------------------


@pytest.mark.parametrize(
    "channels, kind, color_mode, shape",
    [(4, "RGBA", "rgb", (8, 8, 3)), (2, r"grayscale\+alpha", "grayscale", (8, 8, 1))],
)
def test_alpha_needs_color_mode(tmp_path, channels, kind, color_mode, shape):
    pixels = np.full((8, 8, channels), 200, np.uint8)
    pixels[..., -1] = 7  # alpha
    path = write_png(str(tmp_path / "a" / "alpha.png"), pixels)
    write_png(str(tmp_path / "b" / "plain.png"), np.full((8, 8, channels - 1), 200))
    with pytest.raises(
        ValueError,
        match=rf"image file '{re.escape(path)}' is {kind} \({channels} channels\): with "
        r"color_mode=None .* pass color_mode='grayscale' or color_mode='rgb' to convert",
    ):
        from_directory(tmp_path)
    train, _, info = from_directory(tmp_path, color_mode=color_mode, test_fraction=0.1)
    assert info.image_shape == shape
    images, _ = as_numpy(train)
    np.testing.assert_allclose(images, 200 / 127.5 - 1, atol=1e-6)  # alpha dropped


def test_mixed_gray_and_rgb_need_color_mode(tmp_path):
    gray = write_png(str(tmp_path / "a" / "gray.png"), np.zeros((8, 8, 1)))
    rgb = write_png(str(tmp_path / "b" / "rgb.png"), np.zeros((8, 8, 3)))
    with pytest.raises(
        ValueError,
        match=rf"color_mode=None .* but '{re.escape(gray)}' is grayscale and "
        rf"'{re.escape(rgb)}' is RGB; pass color_mode='grayscale' or color_mode='rgb'",
    ):
        from_directory(tmp_path)
    assert from_directory(tmp_path, color_mode="rgb")[2].image_shape == (8, 8, 3)


def test_mixed_sizes_need_image_size(tmp_path):
    first = write_png(str(tmp_path / "a" / "0.png"), np.zeros((10, 12, 1)))
    write_png(str(tmp_path / "a" / "1.png"), np.zeros((10, 12, 1)))
    other = write_png(str(tmp_path / "b" / "0.png"), np.zeros((9, 8, 1)))
    with pytest.raises(
        ValueError,
        match=rf"image_size=None keeps the native size, but the images' sizes differ: "
        rf"'{re.escape(first)}' is 10x12 and '{re.escape(other)}' is 9x8 \(height x width\); "
        r"pass image_size=\(height, width\)",
    ):
        from_directory(tmp_path)
    assert from_directory(tmp_path, image_size=(10, 12))[2].image_shape == (10, 12, 1)


# --- errors ------------------------------------------------------------------------------------


def test_path_does_not_exist(tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(
        ValueError,
        match=rf"path='{re.escape(missing)}' does not exist; it must be a folder with one "
        "sub-folder of images per class",
    ):
        from_directory(missing)


def test_path_is_a_file(tmp_path):
    file = write_png(str(tmp_path / "a.png"), np.zeros((8, 8, 1)))
    with pytest.raises(ValueError, match=rf"path='{re.escape(file)}' is a file, not a folder"):
        from_directory(file)


def test_path_not_a_path():
    with pytest.raises(ValueError, match=r"path must be the path of a folder .*; got 3"):
        from_directory(3)


def test_no_class_folders(tmp_path):
    write_png(str(tmp_path / "loose.png"), np.zeros((8, 8, 1)))
    with pytest.raises(ValueError, match=r"path='.*' has no class sub-folders; it must be a "
                                         r"folder with one sub-folder of images per class"):
        from_directory(tmp_path)


def test_class_folder_without_images(tmp_path):
    write_png(str(tmp_path / "a" / "0.png"), np.zeros((8, 8, 1)))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match=r"path='.*': class folder 'b' has no images \(files "
                                         r"ending in \.bmp, \.gif, \.jpeg, \.jpg, \.png\)"):
        from_directory(tmp_path)


def test_corrupt_image_names_the_file(tmp_path):
    write_png(str(tmp_path / "a" / "0.png"), np.zeros((8, 8, 1)))
    broken = tmp_path / "b" / "broken.png"
    broken.parent.mkdir()
    broken.write_bytes(b"\x89PNG but not really")
    with pytest.raises(ValueError, match=rf"image file '{re.escape(str(broken))}' is corrupt or "
                                         r"not an image \(.+\); replace or remove it"):
        from_directory(tmp_path)


def test_native_side_below_8(tmp_path):
    small = write_png(str(tmp_path / "a" / "0.png"), np.zeros((6, 9, 1)))
    write_png(str(tmp_path / "b" / "0.png"), np.zeros((6, 9, 1)))
    with pytest.raises(ValueError, match=rf"image file '{re.escape(small)}' is 6x9 \(height x "
                                         r"width\): with image_size=None image sides must be "
                                         r">= 8; pass image_size=\(height, width\)"):
        from_directory(tmp_path)
    assert from_directory(tmp_path, image_size=8)[2].image_shape == (8, 8, 1)


@pytest.mark.parametrize("image_size", [4, (8, 7), (8,), (8, 8, 1), 16.0, True, "16", (8.0, 8)])
def test_bad_image_size(gray, image_size):
    with pytest.raises(ValueError, match=r"image_size must be None \(keep the native size\), an "
                                         r"int >= 8 \(square images\) or \(height, width\) with "
                                         rf"both >= 8; got {re.escape(repr(image_size))}$"):
        from_directory(gray[0], image_size=image_size)


def test_bad_color_mode(gray):
    with pytest.raises(ValueError, match=r"color_mode must be one of \(None, 'grayscale', "
                                         r"'rgb'\); got 'RGB'"):
        from_directory(gray[0], color_mode="RGB")


@pytest.mark.parametrize("test_fraction", [0, 1, -0.1])
def test_bad_test_fraction(gray, test_fraction):
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \(0, 1\)"):
        from_directory(gray[0], test_fraction=test_fraction)


def test_bad_split_seed(gray):
    with pytest.raises(ValueError, match=r"split_seed must be an int; got 0.5"):
        from_directory(gray[0], split_seed=0.5)


def test_test_directory_missing(tmp_path, gray):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(ValueError, match=rf"test_directory='{re.escape(missing)}' does not "
                                         "exist"):
        from_directory(gray[0], test_directory=missing)


def test_test_directory_other_classes(tmp_path, gray):
    make_folder(tmp_path, (28, 28, 1), per_class=1, classes=("cat", "dog", "fox"))
    with pytest.raises(ValueError, match=r"test_directory='.*' must have the class sub-folders "
                                         r"of path='.*': path has \['cat', 'dog', 'emu'\], "
                                         r"test_directory has \['cat', 'dog', 'fox'\]"):
        from_directory(gray[0], test_directory=tmp_path)


# ----------------------------------------------------------------- to_directory
def test_to_directory_round_trips_through_from_directory(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (6, 12, 10, 3)).astype(np.uint8)
    labels = np.array([2, 0, 1, 2, 0, 2])
    path = to_directory(tmp_path / "out", pixels, labels, ["a b", "c", "d"], (0, 255))
    assert sorted(os.listdir(path)) == ["a_b", "c", "d"]
    assert sorted(os.listdir(os.path.join(path, "d"))) == ["00000.png", "00001.png", "00002.png"]
    train, _, info = from_directory(path, test_fraction=0.01)
    assert info.class_names == ["a_b", "c", "d"] and info.image_shape == (12, 10, 3)
    assert info.train_counts == (2, 1, 3)
    images, read_labels = as_numpy(train)
    assert multiset(images, read_labels) == multiset(as_model(pixels), labels)
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_to_directory_quantizes_model_range_images(tmp_path):
    images = np.array([-1.0, -0.2, 1.0], "float32").reshape(3, 1, 1, 1) * np.ones((1, 8, 8, 1))
    path = to_directory(tmp_path / "q", images, [0, 0, 0], ["x"])
    train, _, _ = from_directory(path, test_fraction=0.01)
    values = sorted(float(image[0, 0, 0]) for image, _ in train.as_numpy_iterator())
    np.testing.assert_allclose(values, [-1.0, 102 / 127.5 - 1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize(("images", "labels", "names", "match"), [
    (np.zeros((2, 8, 8, 1)), [0], ["a"], r"^to_directory: images and labels must have the same "
                                         r"batch size; got 2 and 1$"),
    (np.full((2, 8, 8, 1), 255.0), [0, 0], ["a"], r"^to_directory: images must lie in "
                                                  r"value_range=\(-1, 1\) .*got values from "
                                                  r"255 to 255\. Pass the range your images "
                                                  r"use as value_range$"),
    (np.zeros((2, 8, 8, 1)), ["a", "a"], ["a"], r"^to_directory: labels must be int class ids "
                                                r".*; got dtype string"),
    (np.zeros((8, 8, 1)), [0], ["a"], r"^to_directory: images must be a batch of shape"),
    (np.zeros((2, 8, 8, 1)), [0, 2], ["a", "b"], r"labels must be class ids in \[0, 2\)"),
    (np.zeros((2, 8, 8, 4)), [0, 1], ["a", "b"], r"images must be \(N, H, W, C\) with C 1 or 3"),
    (np.zeros((2, 8, 8, 1)), [0, 1], ["a b", "a_b"], r"class_names must give distinct folder"),
])
def test_to_directory_bad_arguments(tmp_path, images, labels, names, match):
    with pytest.raises(ValueError, match=match):
        to_directory(tmp_path / "bad", images, labels, names)
    assert not os.path.exists(tmp_path / "bad")


def test_to_directory_never_overwrites(tmp_path):
    write_png(str(tmp_path / "full" / "a" / "keep.png"), np.zeros((8, 8, 1)))
    with pytest.raises(ValueError, match=r"already exists: to_directory writes a new folder"):
        to_directory(tmp_path / "full", np.zeros((1, 8, 8, 1)), [0], ["a"])
    assert os.listdir(tmp_path / "full" / "a") == ["keep.png"]
    os.makedirs(tmp_path / "empty")
    to_directory(tmp_path / "empty", np.zeros((1, 8, 8, 1)), [0], ["a"])
    assert os.listdir(tmp_path / "empty" / "a") == ["00000.png"]


def test_16_bit_pngs_keep_their_depth(tmp_path):
    # Decoded as uint8, 1000 and 1001 (and anything within 1/257 of each other) were
    # rounded to one 8-bit level without a word.
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for i in range(3):
            pixels = np.full((8, 8, 1), 1000 + i, np.uint16)
            pixels[0, 0, 0] = 65535
            tf.io.write_file(str(tmp_path / name / f"{i}.png"),
                             tf.io.encode_png(tf.constant(pixels)))
    train, _, _ = from_directory(str(tmp_path), test_fraction=0.34)
    images, _ = as_numpy(train)
    levels = sorted(set(np.round((images[:, 1, 1, 0] + 1) / 2 * 65535).astype(int)))
    assert set(levels) <= {1000, 1001, 1002} and len(levels) >= 2  # 8 bits: one level
    np.testing.assert_array_equal(images[:, 0, 0, 0], 1.0)


def test_to_directory_writes_16_bit_pngs_that_read_back_at_that_depth(tmp_path):
    images = np.zeros((4, 8, 8, 1), np.float32)
    images[:, 1, 1, 0] = np.array([6000, 6001, 6000, 6001]) / 65535  # one 8-bit level
    images[:, 0, 0, 0] = 1.0
    to_directory(str(tmp_path / "out"), images, [0, 0, 1, 1], ["a", "b"], (0, 1),
                 bit_depth=16)
    train, _, _ = from_directory(str(tmp_path / "out"), test_fraction=0.01)
    read = sorted(set(np.round((as_numpy(train)[0][:, 1, 1, 0] + 1) * 32767.5).astype(int)))
    assert read == [6000, 6001]
    with pytest.raises(ValueError, match=r"bit_depth must be 8 or 16 .*; got 12"):
        to_directory(str(tmp_path / "bad"), images, [0, 0, 1, 1], ["a", "b"], (0, 1),
                     bit_depth=12)
