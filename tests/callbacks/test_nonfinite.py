"""StopOnNonFinite names the loss and the step; TrainingCheckpoint never saves NaN weights."""

import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.callbacks import NonFiniteLossError
from tfgenaug.callbacks import StopOnNonFinite
from tfgenaug.callbacks import TrainingCheckpoint
from tfgenaug.callbacks import first_non_finite_variable
from tfgenaug.callbacks.nonfinite import non_finite_logs
from tfgenaug.trainers import DCGAN


def new_trainer():
    trainer = DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    return trainer


def test_non_finite_logs_picks_nan_and_inf_only():
    logs = {"d_loss": 1.5, "g_loss": float("nan"), "wasserstein": -float("inf"), "name": "x"}
    bad = non_finite_logs(logs)
    assert list(bad) == ["g_loss", "wasserstein"]
    assert math.isnan(bad["g_loss"]) and bad["wasserstein"] == -float("inf")
    assert non_finite_logs({"d_loss": 0.0}) == {} and non_finite_logs(None) == {}


def test_raises_naming_the_loss_and_the_step():
    trainer = new_trainer()
    trainer.g_optimizer.iterations.assign(37)
    callback = StopOnNonFinite()
    callback.set_model(trainer)
    callback.on_train_batch_end(0, {"d_loss": 0.5, "g_loss": 1.0})  # finite: nothing happens
    with pytest.raises(NonFiniteLossError, match=r"Training diverged: g_loss is nan at step 37 "
                                                 r"\(d_loss=0\.5, g_loss=nan\)") as raised:
        callback.on_train_batch_end(1, {"d_loss": 0.5, "g_loss": float("nan")})
    assert (raised.value.name, raised.value.step) == ("g_loss", 37)
    assert trainer.stop_training


def test_without_raising_it_stops_and_the_checkpoint_keeps_the_last_finite_one(tmp_path):
    """fit() goes on to on_epoch_end / on_train_end: the checkpoint must refuse to save."""
    trainer = new_trainer()
    stop = StopOnNonFinite(raise_error=False)
    checkpoint = TrainingCheckpoint(str(tmp_path))

    class PoisonAtStep(keras.callbacks.Callback):
        """Puts a NaN in a generator weight after step 3: the next step's losses are NaN."""

        def on_train_batch_end(self, batch, logs=None):
            if int(trainer.g_optimizer.iterations) == 3:
                weight = trainer.generator.trainable_variables[0]
                weight.assign(np.full(weight.shape, np.nan, "float32"))

    trainer.fit(tiny_dataset(2).repeat(), steps_per_epoch=2, epochs=4, verbose=0,
                callbacks=[PoisonAtStep(), stop, checkpoint])
    assert stop.error is not None and stop.error.step == 4
    assert int(trainer.g_optimizer.iterations) == 4, "fit() must stop at the bad step"
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")
    assert not os.path.exists(os.path.join(tmp_path, "ckpt-4.index"))
    assert first_non_finite_variable(trainer) is not None


def test_checkpoint_save_refuses_non_finite_weights(tmp_path):
    trainer = new_trainer()
    checkpoint = TrainingCheckpoint(str(tmp_path))
    checkpoint.set_model(trainer)
    assert first_non_finite_variable(trainer) is None
    first = checkpoint.save()
    weight = trainer.discriminator.trainable_variables[0]
    weight.assign(np.full(weight.shape, np.inf, "float32"))
    trainer.g_optimizer.iterations.assign(5)
    assert weight.path in first_non_finite_variable(trainer)
    assert checkpoint.save() == first
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
