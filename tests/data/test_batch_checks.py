"""Tests of `tfgenaug.data.batch_checks`: the checks every entry point runs on a batch."""

import re

import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.data.batch_checks import CLASS_IDS
from tfgenaug.data.batch_checks import CLASS_IDS_OR_ONE_HOT
from tfgenaug.data.batch_checks import TARGETS
from tfgenaug.data.batch_checks import BatchSpec
from tfgenaug.data.batch_checks import check_labels_in_range
from tfgenaug.data.batch_checks import check_static
from tfgenaug.data.batch_checks import checked
from tfgenaug.data.batch_checks import class_id_vector

IMAGES = (4, 8, 8, 1)


def spec(**fields):
    return BatchSpec("MyEntry", **fields)


class Shaped:
    """An object with only `shape` and `dtype`, as check_static reads them."""

    def __init__(self, shape, dtype="float32"):
        self.shape, self.dtype = shape, dtype


def static(images_shape, labels_shape, images_dtype="float32", labels_dtype="int32", **fields):
    check_static(spec(**fields), Shaped(images_shape, images_dtype),
                 None if labels_shape is None else Shaped(labels_shape, labels_dtype))


# ----------------------------------------------------------------- static
def test_good_shapes_and_dtypes_pass():
    static(IMAGES, (4,))
    static(IMAGES, (4, 1), labels_dtype="float32")
    static((None, 8, 8, 1), (4, 3), image_shape=(8, 8, 1), labels=CLASS_IDS_OR_ONE_HOT,
           num_classes=3)
    static((4, None, None, 1), (None, 1), image_shape=(8, 8, 1), num_classes=3)
    static(IMAGES, (4, 5), labels=CLASS_IDS_OR_ONE_HOT)  # any width without num_classes
    static(IMAGES, (4, 7), labels=TARGETS)
    static(IMAGES, None, labels=None)
    check_static(spec(), tf.zeros(IMAGES, tf.uint8), tf.zeros([4], tf.int64))
    check_static(spec(), np.zeros(IMAGES), np.zeros(4))


@pytest.mark.parametrize(("images_shape", "labels_shape", "fields", "match"), [
    ((8, 8, 1), (4,), {}, r"^MyEntry: images must be a batch of shape \(batch, H, W, C\) "
                          r"\(rank 4, NHWC\); got shape \(8, 8, 1\)\. Batch the data first"),
    ((8, 8, 1), (4,), {"image_shape": (8, 8, 1)},
     r"images must be a batch of shape \(batch, 8, 8, 1\) \(rank 4, NHWC\); got shape"),
    (IMAGES, (4,), {"image_shape": (8, 8, 3), "image_shape_source": "the encoder's input"},
     r"^MyEntry: images must have shape \(batch, 8, 8, 3\) to match the encoder's input; "
     r"got shape \(4, 8, 8, 1\)$"),
    (IMAGES, (4, 3), {}, rf"^MyEntry: labels must be {re.escape(CLASS_IDS)}; got shape \(4, 3\)"),
    (IMAGES, (4, 3, 1), {"labels": CLASS_IDS_OR_ONE_HOT},
     rf"^MyEntry: labels must be {re.escape(CLASS_IDS_OR_ONE_HOT)}; got shape"),
    (IMAGES, (), {"labels": TARGETS}, rf"labels must be {re.escape(TARGETS)}; got shape \(\)$"),
    (IMAGES, (4, 5), {"labels": CLASS_IDS_OR_ONE_HOT, "num_classes": 3},
     r"^MyEntry: one-hot labels must have width num_classes=3; got labels of shape \(4, 5\)$"),
    (IMAGES, (5,), {}, r"^MyEntry: images and labels must have the same batch size; "
                       r"got 4 and 5$"),
])
def test_bad_shapes_raise_naming_the_argument(images_shape, labels_shape, fields, match):
    with pytest.raises(ValueError, match=match):
        static(images_shape, labels_shape, **fields)


@pytest.mark.parametrize(("images_dtype", "labels_dtype", "match"), [
    ("float32", "string", r"^MyEntry: labels must be int class ids .*; got dtype string\. "
                          r"Map class names to ids first, e\.g\. keras\.layers\.StringLookup"),
    ("float32", np.dtype("<U3"), r"labels must be .*; got dtype string"),
    ("float32", "bool", r"labels must be .*; got dtype bool"),
    ("string", "int32", r"^MyEntry: images must be numbers \(float or int pixel values\); "
                        r"got dtype string"),
])
def test_bad_dtypes_raise_naming_the_argument(images_dtype, labels_dtype, match):
    with pytest.raises(ValueError, match=match):
        static(IMAGES, (4,), images_dtype=images_dtype, labels_dtype=labels_dtype)


# ----------------------------------------------------------------- values
def test_values_inside_and_near_the_edge_pass_unchanged():
    images = np.full(IMAGES, 1.02, "float32")  # interpolation overshoot
    images[0] = -2.0  # half the span of [-1, 1] beyond it: the edge of the rule
    out_images, out_labels = checked(spec(num_classes=3), images, np.array([0, 1, 2, 0]))
    np.testing.assert_array_equal(out_images, images)
    np.testing.assert_array_equal(out_labels, [0, 1, 2, 0])
    checked(spec(num_classes=3), np.zeros((0, 8, 8, 1), "float32"), np.zeros(0, "int32"))


@pytest.mark.parametrize(("images", "labels", "fields", "match"), [
    (np.full(IMAGES, 255.0), [0, 1, 2, 0], {},
     r"^MyEntry: images must lie in \[-1, 1\] \(values up to half its span beyond it pass\); "
     r"got values from 255 to 255\. Convert them first, e\.g\. "
     r"tfgenaug\.data\.to_model_range\(images, \(0, 255\)\).* range_check=False$"),
    (np.full(IMAGES, -2.01), [0, 1, 2, 0], {}, r"got values from -2\.01 to -2\.01"),
    (np.full(IMAGES, 0.5), [0, 1, 2, 0], {"value_range": (0.0, 255.0), "range_name": "(0, 255)"},
     None),
    (np.full(IMAGES, 300.0), [0, 1, 2, 0], {"value_range": None}, None),
    (np.zeros(IMAGES), [0, 1, 3, 0], {"num_classes": 3},
     r"^MyEntry: labels must be class ids in \[0, 3\) \(num_classes=3\); got values from 0 to 3$"),
    (np.zeros(IMAGES), [[0], [-1], [2], [0]], {"num_classes": 3}, r"got values from -1 to 2"),
    (np.zeros(IMAGES), np.eye(4)[:, :3], {"num_classes": 3, "labels": CLASS_IDS_OR_ONE_HOT},
     None),
    (np.full(IMAGES, np.nan), [0, 1, 2, 0], {},
     r"^MyEntry: images must be finite \(no NaN or Inf values\); got 256 non-finite values$"),
])
def test_bad_values_raise_eagerly_naming_the_argument(images, labels, fields, match):
    images = np.asarray(images, "float32")
    if match is None:
        checked(spec(**fields), images, np.asarray(labels))
        return
    with pytest.raises(ValueError, match=match):
        checked(spec(**fields), images, np.asarray(labels))


def test_bad_values_fail_in_a_dataset_map_with_the_values_seen():
    ds = tf.data.Dataset.from_tensors((np.full(IMAGES, 255.0, "float32"), np.arange(4)))
    mapped = ds.map(lambda images, labels: checked(spec(num_classes=4), images, labels))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"MyEntry: images must lie in \[-1, 1\].*\[255\]"):
        next(iter(mapped))
    ds = tf.data.Dataset.from_tensors((np.zeros(IMAGES, "float32"), np.arange(4) + 1))
    mapped = ds.map(lambda images, labels: checked(spec(num_classes=4), images, labels))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"labels must be class ids in \[0, 4\) \(num_classes=4\).*\[4\]"):
        next(iter(mapped))


def test_check_labels_in_range_names_the_owner():
    check_labels_in_range([0, 2], 3)
    with pytest.raises(ValueError, match=r"^sample: labels must be class ids in \[0, 3\) "
                                         r"\(num_classes=3\); got values from 0 to 3$"):
        check_labels_in_range([0, 3], 3, owner="sample")


@pytest.mark.parametrize("labels, expected", [
    ([2, 0], [2, 0]), ([[2], [0]], [2, 0]), (1, [1]), ([], []),
    (np.array([0, 2], np.int64), [0, 2]), (tf.constant([1], tf.int16), [1]),
])
def test_class_id_vector_takes_ids_in_the_forms_a_sampler_is_given(labels, expected):
    ids = class_id_vector(labels, num_classes=3)
    assert ids.dtype == tf.int32 and ids.numpy().tolist() == expected


@pytest.mark.parametrize("labels, message", [
    ([1.0], "WGANGP.sample: labels must be int class ids; got dtype float32"),
    ([[1, 2]], r"WGANGP.sample: labels must be a vector of class ids of shape \(N,\); got "
               r"shape \(1, 2\)"),
    ([0, 3], r"WGANGP.sample: labels must be class ids in \[0, 3\) \(num_classes=3\); got "
             "values from 0 to 3"),
])
def test_class_id_vector_names_what_is_wrong(labels, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        class_id_vector(labels, num_classes=3, owner="WGANGP.sample")

