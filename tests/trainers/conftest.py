"""Tiny data and trainers shared by the trainer tests."""

import keras
import numpy as np
import pytest
import tensorflow as tf

IMAGE_SHAPE = (8, 8, 1)
NUM_CLASSES = 3
BATCH = 8
# Network sizes that keep a train step in milliseconds.
TINY = {"noise_dim": 8, "width": 4, "critic_width": 4}


def tiny_batches(num_batches: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (num_batches * BATCH, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, num_batches * BATCH).astype("int32")
    return images, labels


def tiny_dataset(num_batches: int = 4) -> tf.data.Dataset:
    images, labels = tiny_batches(num_batches)
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH, drop_remainder=True)
    return ds


def semi_supervised_batches(num_batches: int = 3, seed: int = 0) -> tf.data.Dataset:
    """Half of each batch labelled, the second half unlabelled (-1), as Improved-GAN's
    reference draws them; under a two-replica strategy the replicas' halves differ."""
    images, labels = tiny_batches(num_batches, seed)
    labels = labels.copy()
    labels.reshape(num_batches, BATCH)[:, BATCH // 2:] = -1
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH, drop_remainder=True)


def small_dada_networks(num_classes: int = NUM_CLASSES, noise_dim: int = 8,
                        gaussian_noise: float = 0.2, dropout: float = 0.5,
                        logits_per_class: int = 2) -> dict:
    """`{"generator", "discriminator"}`: DADA's networks cut to one layer of each kind.

    The generator keeps the one-hot label, the synchronized batch norm (its moving
    statistics must stay frozen in stage 2 and match across replicas) and a
    weight-normalized transposed convolution; the discriminator keeps the input noise, a
    weight-normalized convolution, dropout, the pooled "features" and the
    weight-normalized 2K logits. For the tests of the trainer's stages under XLA and
    MirroredStrategy: XLA compiles every fusion of a step into its own kernel, and
    `dada_discriminator`'s ten weight-normalized layers tripled those compiles (and the
    mirrored traces). The full networks are traced by the other DADA tests and compiled
    with XLA by `test_ssgan.py`'s XLA test (the same generator and discriminator body).
    """
    from keras import layers

    from tfgenaug.networks import WeightNormalization
    from tfgenaug.networks.blocks import OneHot

    height, width, channels = IMAGE_SHAPE
    noise = keras.Input((noise_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = OneHot(num_classes, name="one_hot")(labels)
    x = layers.Concatenate(name="noise_and_label")([noise, one_hot])
    x = layers.Dense(height // 2 * width // 2 * 4, use_bias=False, name="project")(x)
    x = layers.BatchNormalization(synchronized=True, scale=False, momentum=0.9,
                                  name="project_norm")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((height // 2, width // 2, 4), name="to_map")(x)
    x = WeightNormalization(layers.Conv2DTranspose(channels, 3, strides=2, padding="same"),
                            name="deconv_wn")(x)
    generator = keras.Model([noise, labels], layers.Activation("tanh", dtype="float32")(x),
                            name="generator")

    images = keras.Input(IMAGE_SHAPE, name="images")
    x = layers.GaussianNoise(gaussian_noise, name="input_noise")(images)
    x = WeightNormalization(layers.Conv2D(4, 3, strides=2, padding="same"), name="conv_wn")(x)
    x = layers.LeakyReLU(0.2, name="conv_lrelu")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    features = layers.GlobalAveragePooling2D(name="features")(x)
    logits = WeightNormalization(layers.Dense(logits_per_class * num_classes), init_scale=0.1,
                                 name="logits")(features)
    logits = layers.Activation("linear", dtype="float32", name="logits_float32")(logits)
    discriminator = keras.Model(images, {"logits": logits, "features": features},
                                name="discriminator")
    return {"generator": generator, "discriminator": discriminator}


def softplus(x):
    return np.logaddexp(0.0, x)


def logsumexp(x):
    return np.log(np.exp(x).sum(axis=-1))


@pytest.fixture
def dataset() -> tf.data.Dataset:
    return tiny_dataset()


@pytest.fixture
def policy(request):
    """Sets the global dtype policy for one test (`indirect=True` parametrization) and
    restores the previous one afterwards."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    try:
        yield request.param
    finally:
        keras.config.set_dtype_policy(previous)
