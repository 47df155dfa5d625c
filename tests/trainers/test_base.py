"""Behaviour every trainer shares: XLA, MirroredStrategy equality, checks, sampling, config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.networks import conditional_generator
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP

TRAINERS = {
    "wgan_gp": lambda **kw: WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=2,
                                   **kw),
    "dcgan": lambda **kw: DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY, **kw),
}


def layer_norm_generator():
    return conditional_generator(IMAGE_SHAPE, NUM_CLASSES, 8, 4, normalization="layer")


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_xla_train_step_runs_and_learns(name):
    trainer = TRAINERS[name]()
    trainer.compile(jit_compile=True)
    before = [w.numpy().copy() for w in trainer.generator.trainable_weights]
    history = trainer.fit(tiny_dataset(), epochs=1, verbose=0)
    assert trainer.jit_compile is True
    for values in history.history.values():
        assert np.isfinite(values[-1])
    after = trainer.generator.trainable_weights
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after, strict=True))
    assert int(trainer.g_optimizer.iterations) == 4


@pytest.mark.parametrize(
    "name,generator_factory",
    [("wgan_gp", None), ("dcgan", None), ("wgan_gp", layer_norm_generator)],
    ids=["wgan_gp-batchnorm", "dcgan-batchnorm", "wgan_gp-layernorm-xla"],
)
def test_mirrored_strategy_equals_one_device(name, generator_factory, mirrored_strategy):
    """Same initial weights, batches and seed: 2 replicas give the one-device losses."""
    def build():
        kwargs = {"generator": generator_factory()} if generator_factory else {}
        trainer = TRAINERS[name](**kwargs)
        trainer.compile(jit_compile=True)
        return trainer

    keras.utils.set_random_seed(1)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2
    assert mirrored.xla_per_replica == (generator_factory is not None)

    # One step per epoch, so the history holds every step's losses. The batches come in a
    # seeded order that changes with every new iterator of the dataset (as a run's
    # stream does): the mirrored fit must not open one more than the single one.
    def batches():
        return tiny_dataset(3).shuffle(3, seed=5).repeat()

    single_logs = single.fit(batches(), epochs=3, steps_per_epoch=1, verbose=0).history
    mirrored_logs = mirrored.fit(batches(), epochs=3, steps_per_epoch=1, verbose=0).history
    assert single_logs.keys() == mirrored_logs.keys()
    for key, values in single_logs.items():
        assert len(values) == 3
        np.testing.assert_allclose(mirrored_logs[key], values, atol=1e-4, rtol=1e-4, err_msg=key)
    for one, two in zip(single.generator.get_weights(), mirrored.generator.get_weights(),
                        strict=True):
        np.testing.assert_allclose(two, one, atol=1e-4)


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_sample_is_reproducible_and_checked(name):
    trainer = TRAINERS[name]()
    a = trainer.sample([0, 1, 2], seed=3).numpy()
    b = trainer.sample([0, 1, 2], seed=3).numpy()
    c = trainer.sample([0, 1, 2], seed=4).numpy()
    assert a.shape == (3, *IMAGE_SHAPE) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
        trainer.sample([0, 3])
    with pytest.raises(ValueError, match="labels must be int class ids; got dtype float32"):
        trainer.sample([1.0])  # was TensorFlow's "Cannot convert [1.0] to EagerTensor"
    with pytest.raises(ValueError, match="noise must have shape"):
        trainer.sample([0, 1], noise=np.zeros((2, 5), "float32"))


def test_same_seed_same_training_and_resumed_stream():
    """Randomness is keyed by (seed, step): the same seed trains identically."""
    def run(seed):
        keras.utils.set_random_seed(0)
        trainer = TRAINERS["wgan_gp"](seed=seed)
        trainer.compile(jit_compile=False)
        return trainer.fit(tiny_dataset(2), epochs=1, verbose=0).history

    first = run(5)
    assert run(5) == first
    assert run(6) != first


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_config_round_trip(name):
    trainer = TRAINERS[name](seed=7)
    clone = type(trainer).from_config(trainer.get_config())
    assert clone.get_config()["seed"] == 7
    assert clone.image_shape == IMAGE_SHAPE
    assert clone.generator.count_params() == trainer.generator.count_params()
    for key, value in trainer.get_config().items():
        if key not in ("generator", "discriminator", "name"):
            assert clone.get_config()[key] == value, key


def test_sampling_no_labels_gives_an_empty_batch_of_images():
    trainer = TRAINERS["wgan_gp"]()
    assert tuple(trainer.sample([], seed=0).shape) == (0, *IMAGE_SHAPE)


def test_checkpoint_round_trip(tmp_path):
    trainer = TRAINERS["wgan_gp"]()
    trainer.compile(jit_compile=False)  # XLA has its own tests; here it only adds compiles
    trainer.fit(tiny_dataset(2), epochs=1, verbose=0)
    path = tf.train.Checkpoint(trainer=trainer).save(str(tmp_path / "ckpt"))
    restored = TRAINERS["wgan_gp"]()
    restored.compile(jit_compile=False)
    restored.fit(tiny_dataset(1), epochs=1, verbose=0)  # creates optimizer slots
    tf.train.Checkpoint(trainer=restored).restore(path).assert_existing_objects_matched()
    assert int(restored.g_optimizer.iterations) == 2
    np.testing.assert_array_equal(
        restored.sample([0, 1], seed=0).numpy(), trainer.sample([0, 1], seed=0).numpy()
    )


def test_keras_backup_and_restore_resumes_a_crashed_fit_exactly(tmp_path):
    """Keras' own fault tolerance works on a trainer. It builds the model's Keras
    optimizer before restoring: a GAN trainer has none (its optimizers are its own), so
    no unused RMSprop is built on every weight."""
    class CrashAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("crash")

    def fit(callbacks):
        keras.utils.set_random_seed(0)
        trainer = TRAINERS["wgan_gp"]()
        trainer.compile(jit_compile=False)
        assert trainer.optimizer is None
        trainer.fit(tiny_dataset(2), epochs=2, verbose=0, callbacks=callbacks)
        return trainer

    uninterrupted = fit([])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="crash"):
        fit([backup, CrashAfterFirstEpoch()])
    resumed = fit([backup])
    assert resumed.train_steps == uninterrupted.train_steps == 4
    for expected, got in zip(uninterrupted.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


class TestBadInputs:
    def trainer(self):
        trainer = TRAINERS["wgan_gp"]()
        trainer.compile(jit_compile=False)
        return trainer

    def test_labels_out_of_range_in_dataset(self):
        images = np.zeros((BATCH, *IMAGE_SHAPE), "float32")
        labels = np.full((BATCH,), NUM_CLASSES, "int32")
        ds = tf.data.Dataset.from_tensors((images, labels))
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must be class ids in"):
            self.trainer().fit(ds, verbose=0)

    def test_negative_labels_in_arrays(self):
        images = np.zeros((BATCH, *IMAGE_SHAPE), "float32")
        with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
            self.trainer().fit(images, -np.ones(BATCH, "int32"), verbose=0)

    def test_wrong_channels(self):
        images = np.zeros((BATCH, 8, 8, 3), "float32")
        ds = tf.data.Dataset.from_tensors((images, np.zeros(BATCH, "int32")))
        with pytest.raises(ValueError, match=r"images must have shape \(batch, 8, 8, 1\)"):
            self.trainer().fit(ds, verbose=0)

    def test_wrong_rank(self):
        images = np.zeros((BATCH, 8, 8), "float32")
        with pytest.raises(ValueError, match=r"images must be a batch of shape .*rank 4"):
            self.trainer().fit(images, np.zeros(BATCH, "int32"), verbose=0)

    def test_bad_hyperparameters(self):
        with pytest.raises(ValueError, match="n_critic must be a positive integer"):
            WGANGP(IMAGE_SHAPE, NUM_CLASSES, n_critic=0)
        for gp_weight in (-1.0, float("nan")):
            with pytest.raises(ValueError, match="gp_weight must be a number >= 0"):
                WGANGP(IMAGE_SHAPE, NUM_CLASSES, gp_weight=gp_weight)
        with pytest.raises(ValueError, match="image_shape is required"):
            WGANGP(None, NUM_CLASSES)
        with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 0.5\)"):
            DCGAN(IMAGE_SHAPE, NUM_CLASSES, label_smoothing=0.7)
        with pytest.raises(ValueError, match="noise_distribution must be one of"):
            DCGAN(IMAGE_SHAPE, NUM_CLASSES, noise_distribution="cauchy")
