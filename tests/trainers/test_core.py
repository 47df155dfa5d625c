"""The trainer kernel's own contract, checked without training (cheap)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug import trainers
from tfgenaug.trainers import ema
from tfgenaug.trainers.dada import DADA
from tfgenaug.trainers.wgan_gp import WGANGP

SHAPE = (8, 8, 1)


def wgan(**kwargs) -> WGANGP:
    return WGANGP(SHAPE, num_classes=3, noise_dim=4, width=4, critic_width=4, **kwargs)


def test_compile_takes_optimizers_by_keyword_only():
    trainer = wgan()
    with pytest.raises(TypeError):
        trainer.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    trainer.compile(d_optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
    assert isinstance(trainer.d_optimizer, keras.optimizers.SGD)
    assert isinstance(trainer.g_optimizer, keras.optimizers.Adam)  # the default
    # Slots exist at once, so a checkpoint can restore into them before any step.
    assert trainer.d_optimizer.built and trainer.g_optimizer.built


def test_train_steps_counts_the_step_optimizer():
    gan = wgan()
    assert gan.train_steps == 0  # before compile
    gan.compile(jit_compile=False)
    gan.g_optimizer.iterations.assign(5)
    gan.d_optimizer.iterations.assign(25)
    assert gan.train_steps == 5
    dada = DADA(SHAPE, 3, noise_dim=4, width_multiplier=0.25)
    dada.compile(jit_compile=False)
    dada.d_optimizer.iterations.assign(7)
    assert dada.train_steps == 7 and dada.current_stage() == "gan"


def test_stateless_seed_is_seed_then_step_times_draws_per_step_plus_draw():
    trainer = wgan(seed=9)
    trainer.compile(jit_compile=False)
    trainer.g_optimizer.iterations.assign(3)
    np.testing.assert_array_equal(trainer.stateless_seed(5), [9, 3 * 1024 + 5])
    np.testing.assert_array_equal(trainer.stateless_seed(1, step=2), [9, 2 * 1024 + 1])
    first = trainer.replica_uniforms(tf.constant(4), 3, draw=0)
    assert first.shape == (4, 3)
    np.testing.assert_array_equal(first, trainer.replica_uniforms(tf.constant(4), 3, draw=0))
    assert not np.array_equal(first, trainer.replica_uniforms(tf.constant(4), 3, draw=1))


def test_seed_must_be_an_int_for_every_trainer():
    with pytest.raises(ValueError, match="seed must be an int; got True"):
        wgan(seed=True)


def test_dict_batches_are_checked_for_finite_images_too():
    images = np.zeros((2, *SHAPE), np.float32)
    images[0, 0, 0, 0] = np.nan
    batch = {"images": tf.constant(images), "labels": tf.constant([0, 1])}
    trainer = wgan()
    with pytest.raises(ValueError, match="WGANGP.fit: images must be finite"):
        trainer.checked_batch(batch, trainer.batch_spec())
    ds = tf.data.Dataset.from_tensors(batch).map(
        lambda batch: trainer.checked_batch(batch, trainer.batch_spec()))
    with pytest.raises(tf.errors.InvalidArgumentError, match="WGANGP.fit: images must be finite"):
        next(iter(ds))


def test_ema_warms_up_then_holds_its_largest_decay():
    assert float(ema.warmup_decay(0.999, 0)) == pytest.approx(0.1)
    assert float(ema.warmup_decay(0.999, 10**6)) == pytest.approx(0.999)
    weights = [keras.Variable(np.ones(2, np.float32))]
    module = ema.averages_of(weights)
    weights[0].assign([3.0, 5.0])
    ema.update(module.averages, weights, tf.constant(0.5))
    np.testing.assert_allclose(module.averages[0], [2.0, 3.0])
    ema.reset(module.averages, weights)
    np.testing.assert_allclose(module.averages[0], [3.0, 5.0])


def test_registry_names_the_known_trainers():
    assert {"wgan_gp", "dcgan", "dada"} <= set(trainers.TRAINERS)
    with pytest.raises(ValueError, match="no trainer is registered under 'vae'"):
        trainers.unregister("vae")
