"""`GANAugment` with an image-conditioned generator (DAGAN): rows transform real images of
the classes drawn (by `class_probs`) and carry their source's label."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tfgenaug import savedmodels
from tfgenaug.layers import GANAugment
from tfgenaug.networks import SourceBank
from tfgenaug.networks import dagan_generator
from tfgenaug.networks import label_conditioned
from tfgenaug.trainers import DAGAN

# Sources: class k's images are the constants k / 10 + j / 100, so a source names its class.
PER_CLASS = (6, 2, 1)


def sources():
    labels = np.repeat(np.arange(NUM_CLASSES), PER_CLASS).astype("int32")
    within = np.concatenate([np.arange(n) for n in PER_CLASS])
    values = labels / 10 + within / 100
    return (values[:, None, None, None] * np.ones((1, *IMAGE_SHAPE))).astype("float32"), labels


class EchoSources(keras.layers.Layer):
    """A stand-in DAGAN generator `[images, noise] -> images`: returns the images."""

    def call(self, inputs):
        return inputs[0]


def echo_trainer() -> DAGAN:
    images = keras.Input(IMAGE_SHAPE)
    noise = keras.Input((TINY["noise_dim"],))
    generator = keras.Model([images, noise], EchoSources()([images, noise]))
    trainer = DAGAN(IMAGE_SHAPE, NUM_CLASSES, generator=generator, **TINY)
    trainer.set_sources(*sources())
    return trainer


def test_balanced_rows_transform_sources_of_the_drawn_class_labelled_with_it():
    images, labels = sources()
    layer = GANAugment(echo_trainer(), rate=1.0, class_probs="balanced",
                       class_counts=list(PER_CLASS), value_range=(-1, 1), seed=0)
    batch_images = np.zeros((40, *IMAGE_SHAPE), np.float32)
    out_images, out_labels = layer(batch_images, np.zeros(40, np.int32))
    values = out_images.numpy()[:, 0, 0, 0]
    np.testing.assert_array_equal(np.floor(values * 10 + 1e-4).astype(int), out_labels.numpy())
    shares = np.bincount(out_labels.numpy(), minlength=NUM_CLASSES) / 40
    assert shares[2] > shares[1] > shares[0]  # rare classes get most rows
    assert set(np.rint(values[out_labels.numpy() == 1] * 100).astype(int)) == {10, 11}


def test_a_trained_dagan_export_and_its_keras_model_feed_the_layer(tmp_path):
    trainer = DAGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.set_sources(*sources())
    export = savedmodels.export(trainer, str(tmp_path / "exports"))
    batch, labels = np.zeros((8, *IMAGE_SHAPE), np.float32), np.zeros(8, np.int32)
    for generator in (trainer, export, trainer.label_generator):
        layer = GANAugment(generator, rate=0.5, value_range=(-1, 1), seed=1)
        out_images, out_labels = layer(batch, labels)
        assert out_images.shape == (8, *IMAGE_SHAPE) and layer.num_classes == NUM_CLASSES
    # In a .keras file the sources travel with the layer.
    inputs = keras.Input(IMAGE_SHAPE)
    label_inputs = keras.Input((), dtype="int32")
    layer = GANAugment(trainer, rate=1.0, value_range=(-1, 1), seed=2)
    model = keras.Model([inputs, label_inputs], layer((inputs, label_inputs)))
    model.save(tmp_path / "model.keras")
    loaded = next(lay for lay in keras.models.load_model(tmp_path / "model.keras").layers
                  if isinstance(lay, GANAugment))
    noise = tf.random.normal((5, TINY["noise_dim"]), seed=0)
    classes = tf.constant([0, 1, 2, 0, 2])
    np.testing.assert_allclose(loaded._source.sample(classes, noise).numpy(),
                               trainer.sample(classes, noise=noise).numpy(), atol=1e-6)


def test_image_conditioned_generator_without_sources_or_neither_kind_is_refused():
    with pytest.raises(ValueError, match="image-conditioned generator \\(DAGAN\\) needs the real"):
        GANAugment(dagan_generator(IMAGE_SHAPE, noise_dim=8, width=4), num_classes=3)
    with pytest.raises(ValueError, match="set_sources"):
        GANAugment(DAGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY))
    neither = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="label-conditioned\\), or an image-conditioned one"):
        GANAugment(neither, num_classes=3)
    # A bank of another image shape cannot join the generator.
    with pytest.raises(ValueError):
        label_conditioned(dagan_generator(IMAGE_SHAPE, noise_dim=8, width=4),
                          SourceBank(2, (16, 16, 1), 3))
