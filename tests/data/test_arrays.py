"""Tests for tfgenaug.data.arrays: from_arrays and from_npz."""

import re
import warnings

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.data import as_numpy
from tfgenaug.data import class_counts
from tfgenaug.data import few_shot
from tfgenaug.data import from_arrays
from tfgenaug.data import from_npz
from tfgenaug.data import imbalance

RNG = np.random.default_rng(0)
GRAY = RNG.integers(0, 256, (30, 28, 28), dtype=np.uint8)  # NHW
GRAY[:, 0, 0], GRAY[:, 0, 1] = 255, 0
RGB = RNG.integers(0, 256, (12, 100, 60, 3), dtype=np.uint8)
LABELS = np.arange(30) % 3
RGB_LABELS = np.arange(12) % 3


def expected_model(pixels):
    return pixels.astype(np.float32) / 127.5 - 1.0


def both_splits(train, test):
    x_train, y_train = as_numpy(train)
    x_test, y_test = as_numpy(test)
    return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])


def sorted_by_content(images):
    return images[np.lexsort(images.reshape(len(images), -1).T[::-1])]


@pytest.fixture(scope="module")
def gray_split():
    return from_arrays(GRAY, LABELS)


# --- images ---------------------------------------------------------------------------------


def test_uint8_nhw(gray_split):
    train, test, info = gray_split
    for ds in (train, test):
        assert ds.element_spec == (
            tf.TensorSpec((28, 28, 1), tf.float32),
            tf.TensorSpec((), tf.int32),
        )
    assert info.name == "arrays"
    assert info.image_shape == (28, 28, 1) and info.num_classes == 3
    assert info.class_names == ["0", "1", "2"]
    assert info.train_counts == (8, 8, 8) and info.test_counts == (2, 2, 2)
    images, labels = both_splits(train, test)
    assert images.min() == -1.0 and images.max() == 1.0
    np.testing.assert_array_equal(images[:, 0, 0, 0], 1.0)
    np.testing.assert_array_equal(images[:, 0, 1, 0], -1.0)
    for class_id in range(3):
        np.testing.assert_array_equal(
            sorted_by_content(images[labels == class_id]),
            sorted_by_content(expected_model(GRAY[class_id == LABELS][..., None])),
        )


@pytest.mark.parametrize(
    "convert",
    [
        lambda x: x,
        lambda x: x.astype(np.float32) / 255,
        lambda x: x.astype(np.float64) / 127.5 - 1,
        lambda x: x.astype(np.float32),
        lambda x: (x.astype(np.float16) / 255),
    ],
    ids=["uint8", "float_0_1", "float_-1_1", "float_0_255", "float16_0_1"],
)
def test_value_range_detected(convert):
    train, test, _ = from_arrays(convert(RGB), RGB_LABELS, test_fraction=0.25)
    images, labels = both_splits(train, test)
    assert images.dtype == np.float32 and images.min() == -1.0 and images.max() == 1.0
    expected = expected_model(RGB)
    for class_id in range(3):
        np.testing.assert_allclose(
            sorted_by_content(images[labels == class_id]),
            sorted_by_content(expected[class_id == RGB_LABELS]),
            atol=2e-3,  # float16 input
        )


def test_rgb_is_height_by_width():
    train, test, info = from_arrays(RGB, RGB_LABELS, test_fraction=0.25)
    assert info.image_shape == (100, 60, 3)
    assert info.train_counts == (3, 3, 3) and info.test_counts == (1, 1, 1)


def test_given_value_range():
    pixels = np.array([0, 1023, 512, 100], np.uint16)[:, None, None, None] * np.ones((8, 8, 1))
    train, _, _ = from_arrays(pixels, [0, 1, 0, 1], value_range=(0, 1023), test_fraction=0.01)
    images, _ = as_numpy(train)
    assert images[0].max() == -1.0 and images[1].min() == 1.0


@pytest.mark.parametrize("low, high", [(-5, 300), (0, 1000), (-2, 0.5)])
def test_value_range_ambiguous(low, high):
    images = np.full((4, 8, 8), low, np.float32)
    images[0, 0, 0] = high
    with pytest.raises(
        ValueError,
        match=rf"value_range=None cannot tell the range of images: its values lie in "
        rf"\[{low:g}, {high:g}\], within none of \[0, 1\], \[-1, 1\] or \[0, 255\]; pass "
        r"value_range=\(low, high\), the range your pixels use, to from_arrays or from_npz, "
        r"or \(for load\('npz:...'\) and the binaries, which detect it\) store the pixels",
    ):
        from_arrays(images, [0, 1, 0, 1])


def test_values_outside_given_value_range():
    with pytest.raises(ValueError, match=r"images have values in \[0, 255\], outside "
                                         r"value_range=\(0, 1\); pass the range"):
        from_arrays(GRAY, LABELS, value_range=(0, 1))


def test_bad_value_range():
    with pytest.raises(ValueError, match=r"value_range must be \(low, high\) with low < high"):
        from_arrays(GRAY, LABELS, value_range=(1, 0))


def test_train_and_test_in_different_ranges():
    with pytest.raises(ValueError, match=r"value_range=None found different ranges \(images "
                                         r"look like \(0.0, 255.0\), test_images look like "
                                         r"\(0.0, 1.0\)\); pass value_range"):
        from_arrays(GRAY, LABELS, test_images=GRAY[:3] / 255, test_labels=[0, 1, 2])


@pytest.mark.parametrize("image_size, shape", [(16, (16, 16, 3)), ((50, 30), (50, 30, 3))])
def test_image_size(image_size, shape):
    train, _, info = from_arrays(RGB, RGB_LABELS, image_size=image_size)
    assert info.image_shape == shape and train.element_spec[0].shape == shape
    images, _ = as_numpy(train)
    assert images.min() >= -1.0 and images.max() <= 1.0


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((4, 8, 8, 4), np.uint8), r"images must be NHWC with 1 \(grayscale\) or 3 \(RGB\) "
         r"channels, or NHW for grayscale; got shape \(4, 8, 8, 4\) \(drop the alpha channel"),
        (np.zeros((4, 8, 8, 2), np.uint8), r"images must be NHWC .*got shape \(4, 8, 8, 2\)$"),
        (np.zeros((8, 8), np.uint8), r"images must be NHWC .*got shape \(8, 8\)"),
        (np.zeros((4, 1, 8, 8, 1), np.uint8), r"images must be NHWC .*got shape \(4, 1, 8, 8, 1\)"),
        (np.zeros((0, 8, 8), np.uint8), r"images must hold at least one image; got shape \(0, 8"),
        (np.zeros((4, 8, 8), bool), r"images must be an array of int or float pixels; got "
         r"dtype bool"),
        (np.full((4, 8, 8), "a"), r"images must be an array of int or float pixels"),
        (np.full((4, 8, 8), np.nan), r"images must be finite; found NaN or infinite pixels"),
        (np.zeros((4, 6, 8), np.uint8), r"images are 6x8 \(height x width\): with "
         r"image_size=None, image sides must be >= 8; pass image_size=\(height, width\)"),
    ],
)
def test_bad_images(images, message):
    with pytest.raises(ValueError, match=message):
        from_arrays(images, np.arange(len(images)) % 2)


def test_small_images_resized():
    _, _, info = from_arrays(np.zeros((4, 6, 8), np.uint8), [0, 1, 0, 1], image_size=8)
    assert info.image_shape == (8, 8, 1)


@pytest.mark.parametrize("image_size", [4, (8, 7), (8,), 16.0, True])
def test_bad_image_size(image_size):
    with pytest.raises(ValueError, match=r"image_size must be None \(keep the native size\), an "
                                         rf"int >= 8 .*; got {re.escape(repr(image_size))}$"):
        from_arrays(GRAY, LABELS, image_size=image_size)


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [LABELS.astype(np.uint8), LABELS.astype(np.int16), LABELS.astype(np.float32),
     LABELS[:, None], LABELS.tolist()],
    ids=["uint8", "int16", "float", "column", "list"],
)
def test_label_forms(labels):
    train, test, info = from_arrays(GRAY, labels)
    assert train.element_spec[1] == tf.TensorSpec((), tf.int32)
    assert info.num_classes == 3 and info.train_counts == (8, 8, 8)
    _, all_labels = both_splits(train, test)
    np.testing.assert_array_equal(np.bincount(all_labels), [10, 10, 10])


def test_num_classes_is_max_label_plus_one_and_an_empty_class_is_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ids 0..K-1, every class present: no warning
        _, _, info = from_arrays(GRAY, LABELS)
    assert info.num_classes == 3 and info.class_names == ["0", "1", "2"]
    # 1-based ids (1..3) make a class 0 no image has, which nothing can learn.
    with pytest.warns(UserWarning, match=r"labels are class ids 0\.\.3 \(num_classes = max "
                                         r"label \+ 1\), but no image has class 0: .* Pass "
                                         r"0-based ids \(e\.g\. labels - 1 for ids from 1\)"):
        _, _, info = from_arrays(GRAY, LABELS + 1)
    assert info.num_classes == 4 and info.train_counts == (0, 8, 8, 8)
    labels = np.where(LABELS == 1, 3, LABELS)  # classes 0, 2, 3: 1 is empty
    with pytest.warns(UserWarning, match="but no image has class 1: "):
        from_arrays(GRAY, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named by the user: kept without a warning
        _, _, info = from_arrays(GRAY, labels, class_names=["a", "b", "c", "d"])
    assert info.train_counts == (8, 0, 8, 8)


def test_class_names():
    _, _, info = from_arrays(GRAY, LABELS, class_names=["cat", "dog", "emu", "fox"])
    assert info.num_classes == 4 and info.class_names == ["cat", "dog", "emu", "fox"]
    assert info.train_counts == (8, 8, 8, 0)


def test_string_labels_map_to_sorted_names():
    names = np.array(["emu", "cat", "dog"])[LABELS]
    train, test, info = from_arrays(GRAY, names)
    assert info.class_names == ["cat", "dog", "emu"]
    images, labels = both_splits(train, test)
    np.testing.assert_array_equal(  # the images written as "emu" are class 2
        sorted_by_content(images[labels == 2]),
        sorted_by_content(expected_model(GRAY[names == "emu"][..., None])),
    )


def test_tensors_and_bytes_labels():
    labels = tf.constant(np.array([b"emu", b"cat", b"dog"])[LABELS])  # numpy: object of bytes
    train, _, info = from_arrays(tf.constant(GRAY), labels)
    assert info.class_names == ["cat", "dog", "emu"] and info.train_counts == (8, 8, 8)


def test_string_labels_follow_class_names_order():
    names = [b"emu", b"cat", b"dog"] * 10
    _, _, info = from_arrays(GRAY, names, class_names=["emu", "dog", "cat", "fox"])
    assert info.class_names == ["emu", "dog", "cat", "fox"]
    assert info.train_counts == (8, 8, 8, 0)


@pytest.mark.parametrize(
    "labels, kwargs, message",
    [
        (LABELS[:29], {}, r"labels has 29 labels but images has 30 images; they must have the "
         r"same length"),
        (np.eye(3)[LABELS], {}, r"labels must be 1-D class ids or class names, shape \(N,\) or "
         r"\(N, 1\); got shape \(30, 3\) \(for one-hot labels pass labels.argmax\(-1\)\)"),
        (LABELS + 0.5, {}, r"labels must hold whole numbers \(class ids\); found a fraction"),
        (LABELS - 1, {}, r"labels must be class ids >= 0; found -1"),
        (LABELS.astype(bool), {}, r"labels must be int class ids or str class names; got dtype "
         r"bool"),
        (LABELS, {"class_names": ["a", "b"]}, r"labels has class id 2, but class_names has 2 "
         r"names: class ids must be < len\(class_names\)"),
        (np.array(["a", "b", "c"])[LABELS], {"class_names": ["a", "b"]}, r"labels has class name "
         r"'c', which is not in class_names=\['a', 'b'\]"),
        (LABELS, {"class_names": ["a", "a", "b"]}, r"class_names must be a non-empty sequence of "
         r"unique strs"),
        (LABELS, {"class_names": "abc"}, r"class_names must be a non-empty sequence"),
        (LABELS, {"class_names": [0, 1, 2]}, r"class_names must be a non-empty sequence"),
    ],
    ids=["length", "one-hot", "fraction", "negative", "bool", "id-too-large", "unknown-name",
         "duplicate-names", "str-names", "int-names"],
)
def test_bad_labels(labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        from_arrays(GRAY, labels, **kwargs)


# --- splits ---------------------------------------------------------------------------------


def test_split_is_stratified_and_seeded():
    def split(seed):
        return from_arrays(GRAY, LABELS, test_fraction=0.3, split_seed=seed)

    train, test, info = split(0)
    assert info.train_counts == (7, 7, 7) and info.test_counts == (3, 3, 3)
    np.testing.assert_array_equal(class_counts(test, 3), [3, 3, 3])
    x_train, _ = as_numpy(train)
    x_test, _ = as_numpy(test)
    assert not set(map(bytes, x_train)) & set(map(bytes, x_test))
    np.testing.assert_array_equal(x_test, as_numpy(split(0)[1])[0])
    assert not np.array_equal(x_test, as_numpy(split(1)[1])[0])


def test_separate_test_arrays():
    train, test, info = from_arrays(
        GRAY[:24], LABELS[:24], test_images=GRAY[24:], test_labels=LABELS[24:]
    )
    assert info.train_counts == (8, 8, 8) and info.test_counts == (2, 2, 2)
    np.testing.assert_array_equal(as_numpy(test)[0], expected_model(GRAY[24:, ..., None]))


def test_test_labels_can_hold_the_largest_class():
    _, _, info = from_arrays(GRAY[:6], [0, 1] * 3, test_images=GRAY[6:9], test_labels=[0, 1, 2])
    assert info.num_classes == 3 and info.train_counts == (3, 3, 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"test_images": GRAY[:3]}, r"test_images and test_labels go together: pass both"),
        ({"test_labels": [0, 1, 2]}, r"test_images and test_labels go together"),
        ({"test_images": GRAY[:3], "test_labels": [0, 1]}, r"test_labels has 2 labels but "
         r"test_images has 3 images"),
        ({"test_images": RGB[:3, :28, :28], "test_labels": [0, 1, 2]}, r"test_images have 3 "
         r"channels but images have 1; both must be grayscale or both RGB"),
        ({"test_images": GRAY[:3, :20], "test_labels": [0, 1, 2]}, r"test_images are 20x28 but "
         r"images are 28x28: pass image_size=\(height, width\) to resize both"),
        ({"test_images": GRAY[:3], "test_labels": ["a", "b", "c"]}, r"labels and test_labels "
         r"must both be class ids or both be class names"),
        ({"test_fraction": 1.0}, r"test_fraction must be a number in \(0, 1\); got 1.0"),
        ({"split_seed": "0"}, r"split_seed must be an int; got '0'"),
    ],
)
def test_bad_test_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        from_arrays(GRAY, LABELS, **kwargs)


def test_test_images_of_another_size_resized():
    _, test, info = from_arrays(
        GRAY, LABELS, test_images=GRAY[:3, :20], test_labels=[0, 1, 2], image_size=16
    )
    assert info.image_shape == (16, 16, 1) and test.element_spec[0].shape == (16, 16, 1)


def test_few_shot_and_imbalance_on_the_result(gray_split):
    train, _, info = gray_split
    subset = few_shot(train, count=3, seed=0)
    np.testing.assert_array_equal(class_counts(subset, info.num_classes), [3, 3, 3])
    rare = imbalance(train, minority_classes=[0, 2], ratio=0.25, seed=0)
    np.testing.assert_array_equal(class_counts(rare, info.num_classes), [2, 8, 2])


# --- npz ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arrays",
    [
        {"images": GRAY, "labels": LABELS},
        {"x": GRAY, "y": LABELS},
        {"x_train": GRAY, "y_train": LABELS},
        {"train_images": GRAY, "train_labels": LABELS},
    ],
    ids=["images-labels", "x-y", "x_train-only", "train_images-only"],
)
def test_npz_single_split(tmp_path, arrays):
    path = str(tmp_path / "data.npz")
    np.savez(path, **arrays)
    train, test, info = from_npz(path)
    assert info.name == f"npz:{path}"
    assert info.image_shape == (28, 28, 1)
    assert info.train_counts == (8, 8, 8) and info.test_counts == (2, 2, 2)
    np.testing.assert_array_equal(as_numpy(train)[0], as_numpy(from_arrays(GRAY, LABELS)[0])[0])


@pytest.mark.parametrize("prefix", ["x_/y_", "images/labels"])
def test_npz_train_and_test(tmp_path, prefix):
    keys = (
        ("x_train", "y_train", "x_test", "y_test")
        if prefix == "x_/y_"
        else ("train_images", "train_labels", "test_images", "test_labels")
    )
    path = tmp_path / "data.npz"
    np.savez(path, **dict(zip(keys, (GRAY[:24], LABELS[:24], GRAY[24:], LABELS[24:]),
                              strict=True)))
    _, test, info = from_npz(path, name="mine")
    assert info.name == "mine"
    assert info.train_counts == (8, 8, 8) and info.test_counts == (2, 2, 2)
    np.testing.assert_array_equal(as_numpy(test)[0], expected_model(GRAY[24:, ..., None]))


def test_npz_class_names_and_options(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, images=RGB / 255, labels=RGB_LABELS, class_names=["cat", "dog", "emu"])
    _, _, info = from_npz(path, image_size=(20, 12), test_fraction=0.5, split_seed=3)
    assert info.class_names == ["cat", "dog", "emu"] and info.image_shape == (20, 12, 3)
    assert info.train_counts == (2, 2, 2) and info.test_counts == (2, 2, 2)
    _, _, info = from_npz(path, class_names=["a", "b", "c"])
    assert info.class_names == ["a", "b", "c"]


def test_npz_string_labels(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=GRAY, y=np.array(["emu", "cat", "dog"])[LABELS])
    assert from_npz(path)[2].class_names == ["cat", "dog", "emu"]


def test_npz_unknown_keys(tmp_path):
    path = str(tmp_path / "data.npz")
    np.savez(path, pixels=GRAY, targets=LABELS)
    with pytest.raises(
        ValueError,
        match=rf"path='{re.escape(path)}' has keys \['pixels', 'targets'\], none of the sets "
        r"from_npz reads: \('images', 'labels'\) or \('x', 'y'\) or \('x_train', 'y_train', "
        r"'x_test', 'y_test'\) or \('train_images', ",
    ):
        from_npz(path)


def test_npz_incomplete_test_keys(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x_train=GRAY, y_train=LABELS, x_test=GRAY[:3])
    with pytest.raises(ValueError, match=r"has keys \['x_test', 'x_train', 'y_train'\], none of"):
        from_npz(path)


def test_npz_missing_file(tmp_path):
    path = str(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=rf"path='{re.escape(path)}' does not exist; from_npz "
                                         r"needs a \.npz file written by numpy\.savez"):
        from_npz(path)


def test_npz_folder(tmp_path):
    with pytest.raises(ValueError, match=r"path='.*' is a folder, not a \.npz file \(for a "
                                         r"folder with one sub-folder of images per class use "
                                         r"from_directory\)"):
        from_npz(tmp_path)


def test_npz_not_an_archive(tmp_path):
    text = tmp_path / "text.npz"
    text.write_text("not numpy at all")
    with pytest.raises(ValueError, match=r"path='.*text\.npz' is not a readable \.npz file"):
        from_npz(text)
    single = tmp_path / "single.npy"
    np.save(single, GRAY)
    with pytest.raises(ValueError, match=r"holds one array \(a \.npy file\), not a \.npz "
                                         r"archive of named arrays"):
        from_npz(single)


def test_npz_object_arrays_are_not_unpickled(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, images=GRAY, labels=np.array(["a", 1] * 15, dtype=object))
    with pytest.raises(ValueError, match=r"array 'labels' cannot be read without pickle"):
        from_npz(path)


def test_uint16_images_are_detected_as_16_bit():
    # They were refused as out of every range (0..65535 is none of [0, 1], [-1, 1],
    # [0, 255]), as 16-bit PNGs in folders were rounded to 8 bits.
    images = np.full((4, 8, 8), 1000, np.uint16)
    images[1] = 1001
    images[0, 0, 0] = 65535
    train, _, _ = from_arrays(images, [0, 1, 0, 1], test_images=images,
                              test_labels=[0, 1, 0, 1])
    pixels = sorted(as_numpy(train)[0][:, 1, 1, 0].tolist())
    assert pixels[0] == pytest.approx(1000 / 32767.5 - 1, abs=1e-7)
    assert pixels[-1] == pytest.approx(1001 / 32767.5 - 1, abs=1e-7)
