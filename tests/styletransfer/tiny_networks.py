"""Tiny encoders, decoders, teachers and images shared by the style-transfer tests."""

import keras
import numpy as np

from tfgenaug.networks import small_cnn
from tfgenaug.styletransfer import encoder_from_classifier
from tfgenaug.styletransfer import mirror_decoder

IMAGE_SHAPE = (8, 8, 1)
K = 3


def tiny_classifier(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return small_cnn(IMAGE_SHAPE, K, width=4)


def tiny_encoder_decoder(seed: int = 0) -> tuple[keras.Model, keras.Model]:
    """The front of a small_cnn (features (4, 4, 8)) and its mirrored decoder."""
    encoder = encoder_from_classifier(tiny_classifier(seed), "block1_relu0")
    return encoder, mirror_decoder(encoder)


def constant_teacher(winner: int = 2, margin: float = 10.0) -> keras.Model:
    """Predicts class `winner` for every image, with probability ~1 - 2 exp(-margin)."""
    bias = np.zeros(K, np.float32)
    bias[winner] = margin
    return keras.Sequential([
        keras.Input(IMAGE_SHAPE), keras.layers.Flatten(),
        keras.layers.Dense(K, kernel_initializer="zeros",
                           bias_initializer=keras.initializers.Constant(bias)),
    ])


def tiny_images(count: int = 8, seed: int = 0, low: float = -1.0, high: float = 1.0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(low, high, (count, *IMAGE_SHAPE)).astype("float32")
    labels = (np.arange(count) % K).astype("int32")
    return images, labels
