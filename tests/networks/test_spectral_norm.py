"""SpectralNormalization: the right sigma, a pure forward pass, estimates moved by fit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug import networks
from tfgenaug import trainers
from tfgenaug.networks import SpectralNormalization
from tfgenaug.networks import SpectralNormUpdate
from tfgenaug.networks.spectral_norm import spectral_layers
from tfgenaug.networks.spectral_norm import with_estimate_updates


def top_singular_value(kernel, axis=-1):
    matrix = np.moveaxis(np.asarray(kernel), axis, -1).reshape(-1, kernel.shape[axis])
    return np.linalg.svd(matrix, compute_uv=False)[0]


@pytest.mark.parametrize(
    "layer, inputs",
    [(keras.layers.Dense(7), (3, 5)),
     (keras.layers.Conv2D(6, 3, padding="same"), (2, 8, 8, 4)),
     (keras.layers.Conv2DTranspose(5, 4, strides=2, padding="same"), (2, 4, 4, 3))],
    ids=["dense", "conv", "conv_transpose"],
)
def test_sigma_converges_to_the_top_singular_value_and_normalizes_the_kernel(layer, inputs):
    # Power iteration converges as (s2 / s1)^t: a fixed seed and enough steps make the
    # check independent of the gap a random kernel happens to have.
    keras.utils.set_random_seed(0)
    wrapped = SpectralNormalization(layer)
    wrapped(np.zeros(inputs, "float32"))
    axis = -2 if isinstance(layer, keras.layers.Conv2DTranspose) else -1
    for _ in range(300):
        wrapped.update_estimate()
    expected = top_singular_value(layer.kernel, axis)
    np.testing.assert_allclose(float(wrapped.sigma()), expected, rtol=1e-3)
    np.testing.assert_allclose(top_singular_value(wrapped.normalized_kernel(), axis), 1.0,
                               rtol=1e-3)


def test_the_forward_pass_assigns_nothing_and_matches_the_layer_with_the_divided_kernel():
    layer = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
    wrapped = SpectralNormalization(layer, power_iterations=2)
    images = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    first = wrapped(images, training=True)
    u_before = np.asarray(wrapped.u)
    second = wrapped(images, training=True)
    np.testing.assert_array_equal(np.asarray(wrapped.u), u_before)
    np.testing.assert_array_equal(first, second)
    plain = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
    plain.build(images.shape)
    plain.kernel.assign(wrapped.normalized_kernel())
    plain.bias.assign(layer.bias)
    np.testing.assert_allclose(first, plain(images), atol=1e-5)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="power_iterations must be an int >= 1; got 0"):
        SpectralNormalization(keras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="layer must be a layer with a kernel"):
        SpectralNormalization(keras.layers.ReLU())


def test_a_critic_with_spectral_norm_round_trips_through_keras_saving(tmp_path):
    critic = networks.conditional_critic((16, 16, 1), 3, width=4, spectral_norm=True,
                                         aux_classifier=True)
    assert len(spectral_layers([critic])) == 3  # two convolutions and the class head
    images, labels = np.zeros((2, 16, 16, 1), "float32"), np.array([0, 2], "int32")
    path = str(tmp_path / "critic.keras")
    critic.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded([images, labels])["logits"],
                               critic([images, labels])["logits"], atol=1e-6)


def _train_wgan_gp(strategy, steps=3):
    keras.utils.set_random_seed(0)
    shape = (16, 16, 1)
    with strategy.scope():
        trainer = trainers.WGANGP(
            shape, num_classes=3, noise_dim=8, n_critic=1, seed=0,
            generator=networks.conditional_generator(shape, 3, noise_dim=8, width=4),
            discriminator=networks.conditional_critic(shape, 3, width=4, spectral_norm=True))
        trainer.compile(jit_compile=True)
    before = [np.asarray(layer.u) for layer in spectral_layers([trainer.discriminator])]
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, *shape)).astype("float32")
    labels = (np.arange(16) % 3).astype("int32")
    batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8).repeat()
    trainer.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0)
    return trainer, before


def test_fit_moves_the_estimates_once_per_step_under_xla_and_two_replicas_match_one(
        mirrored_strategy):
    alone, before = _train_wgan_gp(tf.distribute.get_strategy())
    mirrored, _ = _train_wgan_gp(mirrored_strategy)
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    for layer, u_before in zip(spectral_layers([alone.discriminator]), before, strict=True):
        assert not np.allclose(np.asarray(layer.u), u_before)  # the callback moved it
    for a, b in zip(spectral_layers([alone.discriminator]),
                    spectral_layers([mirrored.discriminator]), strict=True):
        np.testing.assert_allclose(np.asarray(a.u), np.asarray(b.u), atol=1e-5)
    for a, b in zip(alone.discriminator.weights, mirrored.discriminator.weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_the_callback_is_added_once_and_only_for_spectral_networks():
    critic = networks.conditional_critic((8, 8, 1), 2, width=4, spectral_norm=True)
    plain = networks.conditional_critic((8, 8, 1), 2, width=4)
    assert with_estimate_updates([plain], None) == []
    [added] = with_estimate_updates([critic], None)
    assert isinstance(added, SpectralNormUpdate)
    assert with_estimate_updates([critic], [added]) == [added]
