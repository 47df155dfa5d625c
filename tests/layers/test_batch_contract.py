"""Tests of `tfgenaug.layers.batch_contract`: the MixUp-style batch of the layers."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tfgenaug.data.batch_checks import TARGETS
from tfgenaug.layers.batch_contract import BatchAugmentationLayer
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

    value_range = (-1.0, 1.0)

    def _unpack(self, data):
        return unpack_batch(data, "AddOne")

    def batch_spec(self):
        return self.spec(labels=TARGETS)

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
    with pytest.raises(ValueError, match="AddOne: images must be a batch of shape"):
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


def test_base_layer_checks_values_when_training_only():
    layer = AddOne()
    pixels = np.full(IMAGES, 255.0, "float32")
    with pytest.raises(ValueError, match=r"AddOne: images must lie in value_range=\(-1, 1\) "
                                         r"\(the AddOne argument\).*got values from 255 to 255.*"
                                         r"AddOne\(\.\.\., range_check=False\)"):
        layer((pixels, np.arange(4)))
    out_images, _ = layer((pixels, np.arange(4)), training=False)
    np.testing.assert_array_equal(out_images, pixels)
    out_images, _ = AddOne(range_check=False)((pixels, np.arange(4)))
    np.testing.assert_array_equal(out_images, pixels + 1)
    assert AddOne(range_check=False).get_config()["range_check"] is False
