"""The kernel's promise: a new trainer is its maths, its train_step and a registry entry.

`lsgan.py` (66 lines) is such a trainer; these tests check that what the kernel owns
works for it unchanged: checks in `fit`, trackers, step counter, seeded randomness,
config round trip and the registry.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers import lsgan
from tests.trainers.lsgan import LSGAN
from tfgenaug import trainers

SHAPE = (8, 8, 1)


def batches(n=32, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (n, *SHAPE)).astype("float32")
    labels = rng.integers(0, 3, n).astype("int32")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(8, drop_remainder=True)


def trained(seed=0, steps=3):
    keras.utils.set_random_seed(seed)  # the networks' initial weights
    trainer = LSGAN(SHAPE, num_classes=3, seed=seed)
    trainer.compile(jit_compile=False)
    history = trainer.fit(batches().repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    return trainer, history.history


@pytest.fixture
def registered():
    lsgan.register()
    yield
    trainers.unregister("lsgan")


def test_registered_by_name_and_fits_with_kernel_trackers_and_counter(registered):
    assert trainers.get("lsgan") is LSGAN
    trainer, logs = trained(steps=3)
    assert set(logs) == {"d_loss", "g_loss"}
    assert all(np.isfinite(logs[name][0]) for name in logs)
    assert trainer.train_steps == 3


def test_same_seed_same_weights_other_seed_other_weights():
    first, second, other = trained(seed=1)[0], trained(seed=1)[0], trained(seed=2)[0]
    for a, b in zip(first.generator.weights, second.generator.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert any(not np.array_equal(np.asarray(a), np.asarray(b))
               for a, b in zip(first.generator.weights, other.generator.weights, strict=True))


def test_kernel_checks_labels_in_the_pipeline_before_any_step():
    trainer = LSGAN(SHAPE, num_classes=3)
    trainer.compile(jit_compile=False)
    images = np.zeros((8, *SHAPE), np.float32)
    bad = tf.data.Dataset.from_tensor_slices((images, np.full(8, 3, np.int32))).batch(8)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must be class ids"):
        trainer.fit(bad, epochs=1, verbose=0)
    assert trainer.train_steps == 0


def test_config_round_trip():
    trainer = LSGAN(SHAPE, num_classes=3, width=8, seed=4)
    rebuilt = LSGAN.from_config(trainer.get_config())
    assert (rebuilt.num_classes, rebuilt.seed, rebuilt.width) == (3, 4, 8)


def test_register_refuses_a_taken_name():
    with pytest.raises(ValueError, match="trainer name 'wgan_gp' is taken"):
        trainers.register("wgan_gp")(LSGAN)
