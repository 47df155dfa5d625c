"""Tests of `tfgenaug.layers.batch_contract`: the MixUp-style batch of the layers."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tfgenaug.layers.batch_contract import CLASS_LABELS
from tfgenaug.layers.batch_contract import BatchAugmentationLayer
from tfgenaug.layers.batch_contract import check_batch_shapes
from tfgenaug.layers.batch_contract import class_ids
from tfgenaug.layers.batch_contract import labels_like
from tfgenaug.layers.batch_contract import unpack_batch

IMAGES = (4, 8, 8, 1)


# ----------------------------------------------------------------- unpack_batch
@pytest.mark.parametrize("structure", [dict, tuple, list])
def test_unpack_and_pack_keep_the_structure(structure):
    data = {"images": "x", "labels": "y"} if structure is dict else structure(("x", "y"))

    images, labels, pack = unpack_batch(data, "MyLayer")

    assert (images, labels) == ("x", "y")
    packed = pack("x2", "y2")
    assert type(packed) is structure
    if structure is dict:
        assert packed == {"images": "x2", "labels": "y2"}
    else:
        assert tuple(packed) == ("x2", "y2")


@pytest.mark.parametrize(("data", "match"), [
    ({"images": 1}, r"MyLayer takes a dict with exactly the keys 'images' and 'labels'; "
                    r"got keys \['images'\]"),
    ({"images": 1, "labels": 2, "weights": 3}, r"MyLayer takes a dict .*'weights'"),
    ((1, 2, 3), r"MyLayer needs images and labels: .* got tuple of length 3"),
    ([1], r"MyLayer needs images and labels: .* got list of length 1"),
    (np.zeros(IMAGES), r"MyLayer needs images and labels: .* got ndarray$"),
])
def test_unpack_names_the_layer_and_the_labels(data, match):
    with pytest.raises(ValueError, match=match):
        unpack_batch(data, "MyLayer")


# ----------------------------------------------------------------- check_batch_shapes
def test_good_shapes_pass():
    check_batch_shapes("MyLayer", IMAGES, (4,))
    check_batch_shapes("MyLayer", (None, 8, 8, 1), (4, 3), image_shape=(8, 8, 1),
                       num_classes=3)
    check_batch_shapes("MyLayer", (4, None, None, 1), (None, 1), image_shape=(8, 8, 1),
                       num_classes=3)
    check_batch_shapes("MyLayer", tf.TensorShape(IMAGES), tf.TensorShape([4]))


@pytest.mark.parametrize(("images_shape", "labels_shape", "kwargs", "match"), [
    ((8, 8, 1), (4,), {}, r"^MyLayer works on batches: images must have rank 4 "
                          r"\(batch, H, W, C\); got shape \(8, 8, 1\)\. Batch the dataset"),
    (IMAGES, (4,), {"image_shape": (8, 8, 3), "image_shape_source": "the encoder takes"},
     r"^images have shape \(H, W, C\) = \(8, 8, 1\) but the encoder takes \(8, 8, 3\)$"),
    (IMAGES, (4, 3, 1), {}, rf"^labels must be {re.escape(CLASS_LABELS)}; got shape"),
    (IMAGES, (), {"labels_form": "targets"}, r"^labels must be targets; got shape \(\)$"),
    (IMAGES, (4, 5), {"num_classes": 3},
     r"^one-hot labels must have width num_classes=3; got labels of shape \(4, 5\)$"),
    (IMAGES, (5,), {}, r"^images and labels must have the same batch size; got 4 and 5$"),
])
def test_bad_shapes_raise_naming_the_argument(images_shape, labels_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_batch_shapes("MyLayer", images_shape, labels_shape, **kwargs)


def test_labels_of_any_width_pass_without_num_classes():
    check_batch_shapes("MyLayer", IMAGES, (4, 5))


# ----------------------------------------------------------------- label forms
@pytest.mark.parametrize(("labels", "expected"), [
    (np.array([2, 0, 1]), [2, 0, 1]),
    (np.array([[2], [0], [1]], "int64"), [2, 0, 1]),
    (np.array([2.0, 0.0, 1.0], "float32"), [2, 0, 1]),
    (np.eye(3, dtype="float32")[[2, 0, 1]], [2, 0, 1]),
])
def test_class_ids_of_every_label_form(labels, expected):
    ids = class_ids(labels)
    assert ids.dtype == "int32" and tuple(ids.shape) == (3,)
    np.testing.assert_array_equal(ids, expected)


@pytest.mark.parametrize(("labels", "num_classes", "expected"), [
    (np.zeros(4, "int64"), None, np.array([2, 0], "int64")),
    (np.zeros((4, 1), "int32"), None, np.array([[2], [0]], "int32")),
    (np.zeros((4, 3), "float32"), None, np.eye(3, dtype="float32")[[2, 0]]),
    (np.zeros((4, 3), "float16"), 3, np.eye(3, dtype="float16")[[2, 0]]),
])
def test_labels_like_keeps_form_and_dtype(labels, num_classes, expected):
    out = labels_like(tf.constant([2, 0]), tf.constant(labels), num_classes)
    assert out.dtype == tf.as_dtype(labels.dtype)
    np.testing.assert_array_equal(out, expected)


def test_labels_like_one_class_width_one_is_one_hot():
    labels = tf.zeros((4, 1), "float32")
    np.testing.assert_array_equal(labels_like(tf.constant([0, 0]), labels, 1), [[1.0], [1.0]])
    np.testing.assert_array_equal(labels_like(tf.constant([0, 0]), labels), [[0.0], [0.0]])


def test_label_helpers_round_trip_in_graph_mode():
    @tf.function
    def round_trip(labels):
        return labels_like(class_ids(labels), labels)

    one_hot = tf.one_hot([1, 2, 0, 1], 3)
    np.testing.assert_array_equal(round_trip(one_hot), one_hot)


# ----------------------------------------------------------------- BatchAugmentationLayer
class AddOne(BatchAugmentationLayer):
    """Adds 1 to the images and 10 to the labels when training."""

    def _unpack(self, data):
        return unpack_batch(data, "AddOne")

    def _check_shapes(self, images_shape, labels_shape):
        check_batch_shapes("AddOne", images_shape, labels_shape)

    def get_random_transformation(self, data, training=True, seed=None):
        return {"shift": 1.0} if training else None

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        return images if transformation is None else images + transformation["shift"]

    def transform_labels(self, labels, transformation, training=True):
        return labels if transformation is None else labels + 10


def test_base_layer_takes_every_structure_and_the_two_argument_call():
    layer = AddOne()
    images, labels = np.zeros(IMAGES, "float32"), np.arange(4)

    out = layer({"images": images, "labels": labels})
    np.testing.assert_array_equal(out["images"], images + 1)
    np.testing.assert_array_equal(out["labels"], labels + 10)
    out_images, out_labels = layer(images, labels)
    np.testing.assert_array_equal(out_labels, labels + 10)
    out_images, out_labels = layer((images, labels), training=False)
    np.testing.assert_array_equal(out_images, images)
    np.testing.assert_array_equal(out_labels, labels)


def test_base_layer_maps_over_a_dataset_and_checks_shapes():
    layer = AddOne()
    ds = tf.data.Dataset.from_tensor_slices((np.zeros(IMAGES, "float32"), np.arange(4)))
    images, labels = next(iter(ds.batch(4).map(layer)))
    np.testing.assert_array_equal(labels, np.arange(4) + 10)
    with pytest.raises(ValueError, match="AddOne works on batches"):
        layer((np.zeros(IMAGES[1:], "float32"), np.arange(4)))
    with pytest.raises(ValueError, match="AddOne needs images and labels"):
        layer(np.zeros(IMAGES, "float32"))


def test_base_layer_is_an_identity_in_a_model_outside_training():
    images_in = keras.Input(IMAGES[1:])
    labels_in = keras.Input((), dtype="int32")
    out = AddOne()((images_in, labels_in))
    model = keras.Model([images_in, labels_in], list(out))
    images, labels = model.predict([np.zeros(IMAGES, "float32"), np.arange(4)], verbose=0)
    np.testing.assert_array_equal(images, np.zeros(IMAGES))
    np.testing.assert_array_equal(labels, np.arange(4))
