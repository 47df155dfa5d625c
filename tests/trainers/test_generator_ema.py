"""The generator's EMA: the recurrence under XLA, MirroredStrategy = one device, sampling,
standing batch-norm statistics, checkpoints, config, DAGAN, bad decays."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tests.trainers.conftest import tiny_dataset
from tfgenaug import data
from tfgenaug.trainers import DAGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import generator_ema

DECAY = 0.9


def make(**kwargs) -> WGANGP:
    return WGANGP(IMAGE_SHAPE, NUM_CLASSES, n_critic=1, **{"g_ema_decay": DECAY, **TINY,
                                                            **kwargs})


def values(variables) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


class RecordGenerator(keras.callbacks.Callback):
    """The generator's trainable weights after each train step."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append(values(self.model.generator.trainable_variables))


@pytest.mark.parametrize("jit_compile", [True, False], ids=["xla", "graph"])
def test_averages_follow_the_warmed_up_recurrence(jit_compile):
    keras.utils.set_random_seed(0)
    trainer = make()
    expected = values(trainer.generator.trainable_variables)
    trainer.compile(jit_compile=jit_compile)
    record = RecordGenerator()
    trainer.fit(tiny_dataset(4), epochs=1, verbose=0, callbacks=[record])
    assert len(record.steps) == 4
    for t, weights in enumerate(record.steps, start=1):
        decay = min(DECAY, (1 + t) / (10 + t))
        expected = [decay * a + (1 - decay) * w for a, w in zip(expected, weights, strict=True)]
    for got, want in zip(values(trainer.g_ema.averages), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # The averages lag the weights: they are not a copy of them.
    assert any(not np.allclose(a, w) for a, w in
               zip(values(trainer.g_ema.averages), record.steps[-1], strict=True))


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    def build():
        trainer = make()
        trainer.compile(jit_compile=False)
        return trainer

    keras.utils.set_random_seed(3)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    for average, source in zip(mirrored.g_ema.averages, single.g_ema.averages, strict=True):
        average.assign(np.array(source))
    single.fit(tiny_dataset(2), epochs=1, verbose=0)
    mirrored.fit(tiny_dataset(2), epochs=1, verbose=0)
    for one, two in zip(single.g_ema.averages, mirrored.g_ema.averages, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-5)
    labels = np.arange(6) % NUM_CLASSES
    np.testing.assert_allclose(mirrored.sample(labels, seed=1), single.sample(labels, seed=1),
                               atol=1e-4)


def test_sample_runs_a_snapshot_of_the_averages():
    keras.utils.set_random_seed(1)
    trainer = make()
    trainer.compile(jit_compile=False)
    trainer.fit(tiny_dataset(3), epochs=1, verbose=0)
    copy = trainer.sampling_generator
    assert copy is not trainer.generator
    assert copy is trainer.sampling_generator  # the same step: the same copy
    assert trainer.label_generator is copy
    for got, want in zip(values(copy.trainable_variables), values(trainer.g_ema.averages),
                         strict=True):
        np.testing.assert_array_equal(got, want)
    labels = np.arange(6) % NUM_CLASSES
    noise = np.random.default_rng(0).normal(size=(6, TINY["noise_dim"])).astype("float32")
    np.testing.assert_allclose(trainer.sample(labels, noise=noise),
                               copy([noise, labels], training=False), atol=1e-6)
    live = trainer.generator([noise, labels], training=False)
    assert not np.allclose(trainer.sample(labels, noise=noise), live, atol=1e-4)
    before = values(copy.trainable_variables)
    trainer.fit(tiny_dataset(1), epochs=1, verbose=0)
    assert trainer.sampling_generator is not copy  # training moved on: a new copy
    for got, want in zip(values(copy.trainable_variables), before, strict=True):
        np.testing.assert_array_equal(got, want)  # the snapshot handed out did not move


def test_without_decay_sampling_runs_the_generator_itself():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    assert trainer.g_ema is None
    assert trainer.sampling_generator is trainer.generator


def test_standing_statistics_are_the_copys_own_batch_statistics():
    noise_in = keras.Input((4,))
    dense = keras.layers.Dense(3, name="dense")
    norm = keras.layers.BatchNormalization(momentum=0.99, name="norm")
    model = keras.Model(noise_in, norm(dense(noise_in)))
    inputs = np.random.default_rng(0).normal(2.0, 3.0, (64, 4)).astype("float32")
    averages = [v * 0.5 for v in values(model.trainable_variables)]
    copy = generator_ema.averaged_copy(model, averages, [inputs])
    hidden = inputs @ np.array(copy.get_layer("dense").kernel) + np.array(
        copy.get_layer("dense").bias)
    np.testing.assert_allclose(copy.get_layer("norm").moving_mean, hidden.mean(0), rtol=1e-4)
    np.testing.assert_allclose(copy.get_layer("norm").moving_variance, hidden.var(0),
                               rtol=1e-3)
    assert copy.get_layer("norm").momentum == 0.99  # restored after the pass
    np.testing.assert_array_equal(model.get_layer("norm").moving_mean, np.zeros(3))
    kept = generator_ema.averaged_copy(model, averages)
    np.testing.assert_array_equal(kept.get_layer("norm").moving_mean, np.zeros(3))


def test_checkpoint_and_config_keep_the_averages(tmp_path):
    keras.utils.set_random_seed(2)
    trainer = make()
    trainer.compile(jit_compile=False)
    trainer.fit(tiny_dataset(2), epochs=1, verbose=0)
    path = tf.train.Checkpoint(trainer=trainer).save(str(tmp_path / "ckpt"))
    restored = WGANGP.from_config(trainer.get_config())
    assert restored.g_ema_decay == DECAY
    restored.compile(jit_compile=False)
    tf.train.Checkpoint(trainer=restored).restore(path).assert_existing_objects_matched()
    for got, want in zip(values(restored.g_ema.averages), values(trainer.g_ema.averages),
                         strict=True):
        np.testing.assert_array_equal(got, want)
    labels = np.arange(3)
    np.testing.assert_allclose(restored.sample(labels, seed=4), trainer.sample(labels, seed=4),
                               atol=1e-6)


def test_dagan_transforms_and_samples_with_the_averages():
    keras.utils.set_random_seed(0)
    trainer = DAGAN(IMAGE_SHAPE, NUM_CLASSES, n_critic=1, g_ema_decay=DECAY, **TINY)
    trainer.compile(jit_compile=False)
    images, labels = tiny_batches(4)
    trainer.fit(data.same_class_pairs(images, labels, BATCH, seed=0), steps_per_epoch=2,
                epochs=1, verbose=0)
    trainer.set_sources(images, labels)
    copy = trainer.sampling_generator
    noise = np.random.default_rng(0).normal(size=(4, TINY["noise_dim"])).astype("float32")
    np.testing.assert_allclose(trainer.transform(images[:4], noise=noise),
                               copy([images[:4], noise], training=False), atol=1e-6)
    sampler = trainer.label_generator
    assert sampler is trainer.label_generator
    assert copy in sampler._flatten_layers()
    generated = trainer.sample(labels[:4], seed=0)
    assert generated.shape == (4, *IMAGE_SHAPE)


@pytest.mark.parametrize("decay", [0, 1, 1.5, -0.1, float("nan"), True, "0.9"])
def test_bad_decay_is_refused_by_name(decay):
    with pytest.raises(ValueError, match=r"g_ema_decay must be a number in \(0, 1\)"):
        make(g_ema_decay=decay)


def test_the_export_serves_the_averaged_generator(tmp_path):
    from tfgenaug import savedmodels

    keras.utils.set_random_seed(5)
    trainer = make()
    trainer.compile(jit_compile=False)
    trainer.fit(tiny_dataset(2), epochs=1, verbose=0)
    loaded = savedmodels.load(savedmodels.export(trainer, str(tmp_path / "export")))
    labels = np.arange(4) % NUM_CLASSES
    noise = np.random.default_rng(1).normal(size=(4, TINY["noise_dim"])).astype("float32")
    served = np.asarray(loaded(labels, noise=noise))
    np.testing.assert_allclose(served, (trainer.sample(labels, noise=noise) + 1) / 2, atol=1e-5)
    live = (trainer.generator([noise, labels], training=False) + 1) / 2
    assert not np.allclose(served, live, atol=1e-4)
