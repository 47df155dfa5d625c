"""Every trainer at sizes other than the powers of two: 28x28 grayscale, 100x60 RGB.

A few steps each, then (for the image GANs) export, reload and augment a batch at the
native size: the networks derive their layout from the image size
(`tfgenaug.networks.sizes`).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug import savedmodels
from tfgenaug.layers import GANAugment
from tfgenaug.networks import conditional_critic
from tfgenaug.networks import sizes
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.networks.spectral_norm import spectral_layers
from tfgenaug.trainers import DADA
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.fine_tune import FineTuner

K = 3
SHAPES = [(28, 28, 1), (100, 60, 3)]
TINY_GAN = {"noise_dim": 8, "width": 2, "critic_width": 2}


def batches(shape, count=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count, *shape)).astype("float32")
    labels = np.arange(count, dtype="int32") % K
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(4, drop_remainder=True)


def fit_two_steps(trainer, shape):
    trainer.compile(jit_compile=False)
    history = trainer.fit(batches(shape), epochs=1, verbose=0).history
    assert trainer.train_steps == 2
    assert all(np.isfinite(values).all() for values in history.values())
    return trainer


@pytest.mark.parametrize("shape", SHAPES, ids=["28x28x1", "100x60x3"])
@pytest.mark.parametrize("factory", [
    lambda shape: WGANGP(shape, K, n_critic=1, diffaugment="translation,cutout", **TINY_GAN),
    lambda shape: DCGAN(shape, K, **TINY_GAN),
    lambda shape: DADA(shape, K, noise_dim=8, width_multiplier=0.03),
], ids=["wgan_gp", "dcgan", "dada"])
def test_image_gans_train_and_sample_at_the_native_size(factory, shape):
    trainer = fit_two_steps(factory(shape), shape)
    assert tuple(trainer.sample([0, 2]).shape) == (2, *shape)


def test_export_reload_and_augment_at_a_non_square_native_size(tmp_path):
    shape = (100, 60, 3)
    trainer = fit_two_steps(WGANGP(shape, K, n_critic=1, **TINY_GAN), shape)
    export_path = savedmodels.export(trainer, str(tmp_path))
    assert tuple(savedmodels.load(export_path)([0, 1]).shape) == (2, *shape)
    layer = GANAugment(export_path, value_range=(0, 255), rate=0.5, seed=0)
    images = np.full((4, *shape), 128.0, "float32")
    out_images, out_labels = layer((images, np.array([0, 1, 2, 0])))
    assert tuple(out_images.shape) == (4, *shape)
    changed = np.any(np.asarray(out_images) != images, axis=(1, 2, 3))
    assert changed.sum() == 2  # rate 0.5 of the rows replaced by generated images


@pytest.mark.parametrize("shape", SHAPES, ids=["28x28x1", "100x60x3"])
def test_dfg_and_fine_tuner_train_at_any_size(shape):
    tuner = fit_two_steps(FineTuner(*lenet5_split(shape, K), K), shape)
    assert tuner.classifier(tuner.extractor(np.zeros((1, *shape)))).shape == (1, K)
    dfg = DFG(*lenet5_split(shape, K), K, minority_classes=[0], noise_dim=8,
              generator_width=4, critic_width=2)
    fit_two_steps(dfg, shape)


@pytest.mark.parametrize(("height", "width", "steps", "start"), [
    (8, 8, 1, (4, 4)), (16, 16, 2, (4, 4)), (64, 64, 4, (4, 4)), (28, 28, 2, (7, 7)),
    (100, 60, 3, (13, 8)), (224, 224, 5, (7, 7)), (9, 13, 1, (5, 7)),
])
def test_the_size_rule(height, width, steps, start):
    assert sizes.doublings(height, width) == steps
    assert sizes.start_shape(height, width, steps) == start
    assert sizes.channels(4, 2) == 16 and sizes.channels(4, 7) == 64  # capped at 16x


def test_sides_below_8_and_other_channels_are_refused():
    with pytest.raises(ValueError, match=r"image_shape must have height and width >= 8; "
                                         r"got \(6, 28, 1\)"):
        WGANGP((6, 28, 1), K, **TINY_GAN)
    with pytest.raises(ValueError, match=r"image_shape must have 1 or 3 channels; "
                                         r"got \(28, 28, 4\)"):
        DCGAN((28, 28, 4), K, **TINY_GAN)


def test_wgan_gp_with_a_spectral_norm_critic_at_128x128_under_xla_and_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        shape = (128, 128, 3)
        critic = conditional_critic(shape, K, width=TINY_GAN["critic_width"], spectral_norm=True)
        trainer = WGANGP(shape, K, n_critic=1, discriminator=critic, **TINY_GAN)
        trainer.compile(jit_compile=True)
        u_before = [np.asarray(layer.u) for layer in spectral_layers([critic])]
        assert trainer.jit_compile
        history = trainer.fit(batches(shape), epochs=1, verbose=0).history
        # Dynamic loss scaling skips a step whose float16 gradients overflow (the first
        # scale, 2**15, often does): the step counter counts the applied ones.
        assert trainer.train_steps >= 1
        assert all(np.isfinite(values).all() for values in history.values())
        moved = [not np.allclose(layer.u, u) for layer, u in
                 zip(spectral_layers([critic]), u_before, strict=True)]
        assert len(moved) == 5 and all(moved)  # 128 -> 4: five spectral convolutions
        samples = trainer.sample([0, 1, 2])
        assert tuple(samples.shape) == (3, *shape) and samples.dtype == "float32"
    finally:
        keras.config.set_dtype_policy(previous)
