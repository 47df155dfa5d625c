"""Tests of `tfgenaug.layers.StyleTransferAugment` on 8x8x1 images and K=3 classes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.styletransfer.tiny_networks import IMAGE_SHAPE
from tests.styletransfer.tiny_networks import K
from tests.styletransfer.tiny_networks import constant_teacher
from tests.styletransfer.tiny_networks import tiny_encoder_decoder
from tests.styletransfer.tiny_networks import tiny_images
from tfgenaug.layers import StyleTransferAugment
from tfgenaug.styletransfer import stylise

BATCH = 8


@pytest.fixture(scope="module")
def networks():
    return tiny_encoder_decoder()


def _data():
    images, labels = tiny_images(BATCH, low=0.0, high=255.0)
    styles, style_labels = tiny_images(6, seed=1, low=0.0, high=255.0)
    return images, labels, styles, style_labels


def _changed_rows(before, after) -> np.ndarray:
    return np.flatnonzero(np.any(np.asarray(before) != np.asarray(after), axis=(1, 2, 3)))


def test_identity_when_not_training(networks):
    images, labels, styles, _ = _data()
    layer = StyleTransferAugment(*networks, styles, seed=0)
    out = layer({"images": images, "labels": labels}, training=False)
    np.testing.assert_array_equal(out["images"], images)
    np.testing.assert_array_equal(out["labels"], labels)


@pytest.mark.parametrize("rate, expected", [(0.0, 0), (0.25, 2), (0.5, 4), (1.0, 8)])
def test_rate_share_of_rows_is_stylised_in_range(networks, rate, expected):
    images, labels, styles, _ = _data()
    layer = StyleTransferAugment(*networks, styles, rate=rate, seed=0)
    out_images, out_labels = layer((images, labels))
    assert out_images.shape == images.shape
    assert len(_changed_rows(images, out_images)) == expected
    assert float(tf.reduce_min(out_images)) >= 0.0 and float(tf.reduce_max(out_images)) <= 255.0
    np.testing.assert_array_equal(out_labels, labels)  # no teacher: content labels kept


def test_rows_are_rendered_in_a_style_of_the_chosen_classes(networks):
    encoder, decoder = networks
    images, labels, styles, style_labels = _data()
    style_labels = np.array([0, 0, 1, 0, 2, 2])  # only row 2 is of class 1
    layer = StyleTransferAugment(encoder, decoder, styles, style_labels=style_labels,
                                 style_classes=[1], rate=1.0, value_range=(0, 255), seed=0)
    out, _ = layer(images, labels)
    expected = stylise(images / 127.5 - 1.0, styles[2:3] / 127.5 - 1.0, encoder, decoder)
    np.testing.assert_allclose(np.asarray(out) / 127.5 - 1.0, expected, atol=1e-4)


def test_teacher_pseudo_labels_and_threshold(networks):
    images, labels, styles, _ = _data()
    layer = StyleTransferAugment(*networks, styles, rate=0.5, seed=0,
                                 teacher=constant_teacher(2), threshold=0.9)
    out_images, out_labels = layer((images, labels))
    changed = _changed_rows(images, out_images)
    assert len(changed) == 4
    np.testing.assert_array_equal(np.asarray(out_labels)[changed], 2)
    unchanged = np.setdiff1d(np.arange(BATCH), changed)
    np.testing.assert_array_equal(np.asarray(out_labels)[unchanged], labels[unchanged])
    # One-hot labels stay one-hot.
    one_hot = np.eye(K, dtype="float32")[labels]
    _, out_one_hot = layer((images, one_hot))
    assert out_one_hot.shape == (BATCH, K)
    assert np.asarray(out_one_hot)[:, 2].sum() >= 4
    # A teacher below the threshold leaves every row as it was.
    unsure = StyleTransferAugment(*networks, styles, rate=1.0, seed=0,
                                  teacher=constant_teacher(2, margin=0.0), threshold=0.9)
    out_images, out_labels = unsure((images, labels))
    np.testing.assert_array_equal(out_images, images)
    np.testing.assert_array_equal(out_labels, labels)


def test_runs_in_tf_data(networks):
    images, labels, styles, _ = _data()
    layer = StyleTransferAugment(*networks, styles, rate=0.5, seed=0,
                                 teacher=constant_teacher(1), threshold=0.5)
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4).map(layer)
    batches = list(ds)
    assert len(batches) == 2
    for batch_images, batch_labels in batches:
        assert batch_images.shape == (4, *IMAGE_SHAPE)
        assert int(tf.reduce_sum(tf.cast(batch_labels == 1, tf.int32))) >= 2
    ds = tf.data.Dataset.from_tensor_slices({"images": images, "labels": labels}).batch(4)
    assert set(next(iter(ds.map(layer)))) == {"images", "labels"}


def test_config_round_trip_and_unserialisable_network(networks):
    encoder, decoder = networks
    _, _, styles, style_labels = _data()
    layer = StyleTransferAugment(encoder, decoder, styles, style_labels=style_labels,
                                 style_classes=[0, 1], rate=0.25, alpha=0.5, seed=3,
                                 teacher=constant_teacher(), threshold=0.8)
    config = layer.get_config()
    restored = StyleTransferAugment.from_config(config)
    for key in ("rate", "alpha", "seed", "threshold", "style_classes", "value_range"):
        assert restored.get_config()[key] == config[key]
    np.testing.assert_array_equal(restored.style_images, styles)
    plain = StyleTransferAugment(encoder, lambda features: decoder(features), styles)
    with pytest.raises(ValueError, match="decoder must be a Keras layer or model"):
        plain.get_config()


def test_keras_file_round_trip_restores_networks_and_output(networks, tmp_path):
    encoder, decoder = networks
    images, labels, styles, _ = _data()
    layer = StyleTransferAugment(encoder, decoder, styles, rate=0.5, seed=5, name="stda")
    images_in = keras.Input(IMAGE_SHAPE)
    labels_in = keras.Input((), dtype="int32")
    model = keras.Model([images_in, labels_in], list(layer((images_in, labels_in))))
    assert not model.trainable_weights  # the networks are not the model's weights
    path = str(tmp_path / "augment.keras")
    model.save(path)
    loaded = keras.saving.load_model(path).get_layer("stda")
    for original, restored in zip(decoder.weights, loaded.decoder.weights, strict=True):
        np.testing.assert_array_equal(original.numpy(), restored.numpy())
    fresh = StyleTransferAugment(encoder, decoder, styles, rate=0.5, seed=5)
    expected, _ = fresh((images, labels))
    got, _ = loaded((images, labels))
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_bad_arguments_are_named(networks):
    encoder, decoder = networks
    _, _, styles, style_labels = _data()
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\]"):
        StyleTransferAugment(encoder, decoder, styles, rate=1.5)
    with pytest.raises(ValueError, match=r"threshold must be a number in \(0, 1\]"):
        StyleTransferAugment(encoder, decoder, styles, teacher=constant_teacher(), threshold=0)
    with pytest.raises(ValueError, match="threshold needs a teacher"):
        StyleTransferAugment(encoder, decoder, styles, threshold=0.5)
    with pytest.raises(ValueError, match="style_images must have shape"):
        StyleTransferAugment(encoder, decoder, styles[:, :4])
    with pytest.raises(ValueError, match="no image of style_classes"):
        StyleTransferAugment(encoder, decoder, styles, style_labels=style_labels,
                             style_classes=[7])
    layer = StyleTransferAugment(encoder, decoder, styles)
    with pytest.raises(ValueError, match="images must have shape .* to match the encoder's input"):
        layer((np.zeros((2, 4, 4, 1), "float32"), np.zeros(2, "int32")))


def test_images_outside_value_range_are_refused(networks):
    images, labels, styles, _ = _data()
    layer = StyleTransferAugment(*networks, styles, rate=0.5, seed=0, value_range=(0, 1))
    with pytest.raises(ValueError, match=r"StyleTransferAugment: images must lie in "
                                         r"value_range=\(0, 1\)"):
        layer({"images": images, "labels": labels}, training=True)
