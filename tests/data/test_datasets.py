"""Tests for tfgenaug.data.datasets: load("digits"), load(<tfds name>), load("folder:...")
and load("npz:..."), DatasetInfo."""

import collections
import dataclasses
import os
import re

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from sklearn.datasets import load_digits

from tfgenaug.data import DatasetInfo
from tfgenaug.data import as_numpy
from tfgenaug.data import from_directory
from tfgenaug.data import from_npz
from tfgenaug.data import load
from tfgenaug.data import parse_image_size_text

TRAIN_ONLY_IMAGES = np.random.default_rng(0).integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)


class TfgenaugTrainOnlyTest(tfds.core.GeneratorBasedBuilder):
    """A tiny real (prepared on disk) tfds dataset with a train split only and 3 classes."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(8, 8, 3)),
                    "label": tfds.features.ClassLabel(names=["cat", "dog", "emu"]),
                }
            ),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        for i, image in enumerate(TRAIN_ONLY_IMAGES):
            yield i, {"image": image, "label": i % 3}


@pytest.fixture(scope="module")
def train_only_dir(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("tfds"))
    TfgenaugTrainOnlyTest(data_dir=data_dir).download_and_prepare()
    return data_dir


def _digits_scaled():
    digits = load_digits()
    return digits.images.astype(np.float32)[..., None] / 16 * 2 - 1, digits.target


def _multiset(images, labels):
    return collections.Counter(
        (image.tobytes(), int(label)) for image, label in zip(images, labels, strict=True)
    )


# --- digits -------------------------------------------------------------------------------


@pytest.mark.parametrize("image_size", [8, 16, 32])
def test_digits_shapes_dtypes_range(image_size):
    train, test, info = load("digits", image_size=image_size)
    for ds in (train, test):
        assert ds.element_spec[0] == tf.TensorSpec((image_size, image_size, 1), tf.float32)
        assert ds.element_spec[1] == tf.TensorSpec((), tf.int32)
    x_train, y_train = as_numpy(train)
    x_test, y_test = as_numpy(test)
    assert x_train.shape == (len(y_train), image_size, image_size, 1)
    assert len(y_train) + len(y_test) == 1797
    assert len(y_test) == sum(info.test_counts) == 539
    both = np.concatenate([x_train, x_test])
    assert both.min() == -1.0 and both.max() == 1.0
    assert info.image_shape == (image_size, image_size, 1)


def test_digits_info_fields():
    train, test, info = load("digits")
    assert isinstance(info, DatasetInfo)
    assert info.name == "digits"
    assert info.num_classes == 10
    assert info.image_shape == (16, 16, 1)
    assert info.class_names == [str(d) for d in range(10)]
    np.testing.assert_array_equal(info.train_counts, np.bincount(as_numpy(train)[1]))
    np.testing.assert_array_equal(info.test_counts, np.bincount(as_numpy(test)[1]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.num_classes = 3


@pytest.mark.parametrize("test_fraction", [0.3, 0.2])
def test_digits_split_is_stratified(test_fraction):
    _, test, info = load("digits", test_fraction=test_fraction)
    totals = np.bincount(load_digits().target)
    np.testing.assert_array_equal(np.add(info.train_counts, info.test_counts), totals)
    share = np.asarray(info.test_counts) / totals
    np.testing.assert_allclose(share, test_fraction, atol=0.5 / totals.min() + 1e-9)


def test_digits_split_deterministic_and_seeded():
    first = as_numpy(load("digits", split_seed=0)[1])
    again = as_numpy(load("digits", split_seed=0)[1])
    other = as_numpy(load("digits", split_seed=1)[1])
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert _multiset(*first) != _multiset(*other)


def test_digits_split_does_not_depend_on_image_size():
    small = as_numpy(load("digits", image_size=8)[0])
    large = as_numpy(load("digits", image_size=16)[0])
    np.testing.assert_array_equal(small[1], large[1])
    # Upsampled images average back to (roughly) the originals.
    pooled = tf.nn.avg_pool2d(large[0], 2, 2, "VALID").numpy()
    assert np.corrcoef(pooled.ravel(), small[0].ravel())[0, 1] > 0.95


@pytest.mark.parametrize("image_size", [8, None])
def test_digits_native_size_reproduces_original_pixels(image_size):
    train, test, _ = load("digits", image_size=image_size)
    x_train, y_train = as_numpy(train)
    x_test, y_test = as_numpy(test)
    loaded = _multiset(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test]))
    assert loaded == _multiset(*_digits_scaled())


@pytest.mark.parametrize("image_size", [7, 4, (16, 4), 16.0, True, "16"])
def test_bad_image_size(image_size):
    with pytest.raises(ValueError) as error:
        load("digits", image_size=image_size)
    message = str(error.value)
    assert ("image_size must be None (keep the native size), an int >= 8 (square images) or "
            "(height, width) with both >= 8") in message
    assert f"got {image_size!r}" in message


@pytest.mark.parametrize("test_fraction", [0, 1, 1.5, -0.2])
def test_bad_test_fraction(test_fraction):
    with pytest.raises(ValueError, match=r"test_fraction must be a number in \(0, 1\)"):
        load("digits", test_fraction=test_fraction)


# --- tfds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, image_size, shape",
    [
        ("mnist", 16, (16, 16, 1)),
        ("mnist", None, (28, 28, 1)),
        ("cifar10", 8, (8, 8, 3)),
        ("cifar10", 32, (32, 32, 3)),
    ],
)
def test_tfds_mocked(tmp_path, name, image_size, shape):
    with tfds.testing.mock_data(num_examples=24):
        train, test, info = load(name, image_size=image_size, data_dir=str(tmp_path))
        x_train, y_train = as_numpy(train)
        x_test, y_test = as_numpy(test)
    assert train.element_spec == (
        tf.TensorSpec(shape, tf.float32),
        tf.TensorSpec((), tf.int32),
    )
    assert x_train.shape == (24, *shape) and x_test.shape == (24, *shape)
    assert y_train.dtype == np.int32
    assert x_train.min() >= -1.0 and x_train.max() <= 1.0
    assert abs(x_train.mean()) < 0.1  # uniform noise pixels centred on 0, not left in [0, 1]
    assert info.name == name
    assert info.num_classes == 10 and len(info.class_names) == 10
    assert info.image_shape == shape
    np.testing.assert_array_equal(info.train_counts, np.bincount(y_train, minlength=10))
    np.testing.assert_array_equal(info.test_counts, np.bincount(y_test, minlength=10))


def test_tfds_train_only_carves_stratified_test(train_only_dir):
    train, test, info = load("tfgenaug_train_only_test", image_size=None, data_dir=train_only_dir)
    assert info.class_names == ["cat", "dog", "emu"]
    assert info.num_classes == 3 and info.image_shape == (8, 8, 3)
    assert info.train_counts == (14, 14, 14) and info.test_counts == (6, 6, 6)
    x_train, y_train = as_numpy(train)
    x_test, y_test = as_numpy(test)
    assert int(train.cardinality()) == 42 and int(test.cardinality()) == 18
    np.testing.assert_array_equal(np.bincount(y_test), [6, 6, 6])
    images = np.concatenate([x_train, x_test])
    labels = np.concatenate([y_train, y_test])
    assert images.min() >= -1.0 and images.max() <= 1.0
    as_uint8 = np.round((images + 1) / 2 * 255).astype(np.uint8)
    np.testing.assert_allclose(as_uint8 / 255 * 2 - 1, images, atol=1e-6)
    assert _multiset(as_uint8, labels) == _multiset(TRAIN_ONLY_IMAGES, np.arange(60) % 3)
    assert not set(map(bytes, x_train)) & set(map(bytes, x_test))  # disjoint


def test_tfds_carved_split_deterministic_and_seeded(train_only_dir):
    def test_images(seed):
        _, test, _ = load("tfgenaug_train_only_test", data_dir=train_only_dir, split_seed=seed)
        return as_numpy(test)[0]

    np.testing.assert_array_equal(test_images(0), test_images(0))
    assert not np.array_equal(test_images(0), test_images(1))


def test_tfds_not_prepared(tmp_path):
    with pytest.raises(ValueError) as error:
        load("mnist", data_dir=str(tmp_path))
    message = str(error.value)
    assert "'mnist' is not available offline" in message
    assert f"data_dir={str(tmp_path)!r}" in message
    assert f"tfds build mnist --data_dir={tmp_path}" in message
    assert f"tfds.builder('mnist', data_dir={str(tmp_path)!r}).download_and_prepare()" in message


def test_unknown_name(tmp_path):
    with pytest.raises(ValueError) as error:
        load("no_such_dataset_xyz", data_dir=str(tmp_path))
    message = str(error.value)
    assert "name must be 'digits'" in message
    assert "any TensorFlow Datasets builder" in message
    assert "'no_such_dataset_xyz'" in message


# --- users' data: "folder:<path>" and "npz:<path>" ----------------------------------------------


def _write_gray_folder(root, per_class=10):
    """Three classes of random 28x28 grayscale PNGs; returns the root as a str."""
    rng = np.random.default_rng(0)
    for class_name in ("b", "a", "c"):
        os.makedirs(os.path.join(root, class_name))
        for i in range(per_class):
            pixels = rng.integers(0, 256, (28, 28, 1), dtype=np.uint8)
            tf.io.write_file(os.path.join(root, class_name, f"{i}.png"), tf.io.encode_png(pixels))
    return str(root)


@pytest.fixture(scope="module")
def gray_folder(tmp_path_factory):
    return _write_gray_folder(tmp_path_factory.mktemp("home") / "gray")


@pytest.fixture(scope="module")
def gray_npz(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("npz") / "gray.npz")
    rng = np.random.default_rng(0)
    np.savez(path, images=rng.integers(0, 256, (30, 28, 28), np.uint8), labels=np.arange(30) % 3)
    return path


def _same_split(first, second):
    for ds_a, ds_b in zip(first[:2], second[:2], strict=True):
        for array_a, array_b in zip(as_numpy(ds_a), as_numpy(ds_b), strict=True):
            np.testing.assert_array_equal(array_a, array_b)
    assert dataclasses.replace(first[2], name="") == dataclasses.replace(second[2], name="")


def test_load_folder(gray_folder):
    name = f"folder:{gray_folder}"
    train, test, info = load(name, image_size=None)
    assert info.name == name
    assert info.class_names == ["a", "b", "c"] and info.image_shape == (28, 28, 1)
    assert info.train_counts == (7, 7, 7) and info.test_counts == (3, 3, 3)  # load's 0.3
    assert train.element_spec == (tf.TensorSpec((28, 28, 1), tf.float32),
                                  tf.TensorSpec((), tf.int32))
    _same_split((train, test, info), from_directory(gray_folder, test_fraction=0.3))


def test_load_folder_passes_image_size_and_split(gray_folder):
    split = load(f"folder:{gray_folder}", image_size=(16, 12), split_seed=3, test_fraction=0.5)
    assert split[2].image_shape == (16, 12, 1) and split[2].test_counts == (5, 5, 5)
    _same_split(split, from_directory(gray_folder, (16, 12), split_seed=3, test_fraction=0.5))


@pytest.mark.parametrize(
    "kwargs, shape",
    [({}, (28, 28, 1)), ({"image_size": "auto"}, (28, 28, 1)), ({"image_size": 12}, (12, 12, 1))],
    ids=["default-native", "auto-native", "12"],
)
def test_load_folder_sizes(gray_folder, kwargs, shape):
    assert load(f"folder:{gray_folder}", **kwargs)[2].image_shape == shape


def test_load_folder_expands_home(gray_folder, monkeypatch):
    monkeypatch.setenv("HOME", os.path.dirname(gray_folder))
    _, _, info = load("folder:~/gray", image_size=None)
    assert info.name == "folder:~/gray" and info.num_classes == 3


def test_load_folder_errors_come_from_from_directory(tmp_path, gray_folder):
    with pytest.raises(ValueError, match=r"image_size must be None \(keep the native size\), an "
                                         r"int >= 8 \(square images\) .*; got 4 \(or 'auto'"):
        load(f"folder:{gray_folder}", image_size=4)
    missing = str(tmp_path / "nowhere")
    with pytest.raises(ValueError, match=rf"path='{missing}' does not exist"):
        load(f"folder:{missing}")


def test_load_npz(gray_npz):
    name = f"npz:{gray_npz}"
    split = load(name, image_size=None)
    assert split[2].name == name
    assert split[2].image_shape == (28, 28, 1) and split[2].test_counts == (3, 3, 3)
    _same_split(split, from_npz(gray_npz, test_fraction=0.3))
    split = load(name, image_size=20, split_seed=2, test_fraction=0.2)
    assert split[2].image_shape == (20, 20, 1) and split[2].test_counts == (2, 2, 2)
    _same_split(split, from_npz(gray_npz, image_size=20, split_seed=2))


def test_load_npz_missing(tmp_path):
    path = str(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=rf"path='{path}' does not exist; from_npz needs"):
        load(f"npz:{path}")


@pytest.mark.parametrize("kind", ["folder", "npz"])
def test_load_prefix_without_path(kind):
    with pytest.raises(ValueError, match=rf"name='{kind}:' has no path after '{kind}': write "
                                         rf"e.g. name='{kind}:/data/my_images'"):
        load(f"{kind}:")


@pytest.mark.parametrize("path", ["<tmp>", "./images", "data/images.npz", "~/images"])
def test_load_bare_path_says_which_prefix_to_write(tmp_path, path):
    path = str(tmp_path) if path == "<tmp>" else path
    with pytest.raises(ValueError) as error:
        load(path)
    message = str(error.value)
    assert message.startswith(f"name={path!r} is a path, not a dataset: load takes 'digits' ")
    assert f"write name='folder:{path}' for a folder with one sub-folder of images per " in message
    assert f"class, or name='npz:{path}' for a .npz file of images and labels" in message


def test_auto_size_is_16_for_digits_and_tfds():
    assert load("digits")[2].image_shape == (16, 16, 1)
    assert load("digits", image_size="auto")[2].image_shape == (16, 16, 1)


@pytest.mark.parametrize(
    "text, size",
    [("auto", "auto"), ("AUTO", "auto"), ("native", None), ("0", None), ("28", 28),
     ("100x60", (100, 60)), (" 8X9 ", (8, 9))],
)
def test_image_size_flag_text(text, size):
    assert parse_image_size_text(text) == size


@pytest.mark.parametrize("text", ["4", "7x100", "100x", "x", "-8", "28.0", "big", ""])
def test_bad_image_size_flag_text_names_the_forms(text):
    with pytest.raises(ValueError, match=r"image_size must be 'auto' .*HEIGHTxWIDTH \(e.g. "
                                         rf"100x60\); got {re.escape(repr(text))}$"):
        parse_image_size_text(text)


@pytest.mark.parametrize("image_size,shape", [((16, 16), (16, 16, 1)), (12, (12, 12, 1)),
                                              ((28, 20), (28, 20, 1))])
def test_digits_at_any_size(image_size, shape):
    train, _, info = load("digits", image_size=image_size)
    assert info.image_shape == shape
    assert tuple(train.element_spec[0].shape) == shape


def test_tfds_name_with_a_version_is_not_user_data(tmp_path):
    with tfds.testing.mock_data(num_examples=6):
        _, _, info = load("mnist:3.*.*", image_size=8, data_dir=str(tmp_path))
    assert info.name == "mnist:3.*.*" and info.image_shape == (8, 8, 1)
