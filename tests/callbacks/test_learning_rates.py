"""LearningRates: each optimizer's current rate in the epoch logs, and so in TensorBoard."""

import keras
import numpy as np

from tests.bin.test_train_deterministic import step_losses
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.callbacks import LearningRates
from tfgenaug.trainers import WGANGP


def test_each_optimizer_s_rate_reaches_the_logs_and_tensorboard(tmp_path):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=1)
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=1, decay_rate=0.5)
    trainer.compile(d_optimizer=keras.optimizers.Adam(3e-4),
                    g_optimizer=keras.optimizers.Adam(schedule), jit_compile=False)
    assert trainer.optimizer_names == ("d_optimizer", "g_optimizer")
    seen = []

    class Record(keras.callbacks.Callback):  # runs after LearningRates, as TensorBoard does
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    trainer.fit(tiny_dataset(2), epochs=2, verbose=0, callbacks=[
        LearningRates(), Record(), keras.callbacks.TensorBoard(str(tmp_path / "logs"))])
    assert [round(logs["d_learning_rate"], 10) for logs in seen] == [3e-4, 3e-4]
    # The schedule's rate after 2 and after 4 generator steps.
    np.testing.assert_allclose([logs["g_learning_rate"] for logs in seen],
                               [1e-3 * 0.5 ** 2, 1e-3 * 0.5 ** 4], rtol=1e-6)
    logged = step_losses(str(tmp_path))  # TensorBoard's epoch scalars, epoch by epoch
    for name in ("d_learning_rate", "g_learning_rate"):
        np.testing.assert_allclose(logged[f"epoch_{name}"], [logs[name] for logs in seen],
                                   rtol=1e-6, err_msg=name)


def test_a_model_without_trainer_optimizers_gets_nothing():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    callback = LearningRates()
    callback.set_model(model)
    logs = {"loss": 1.0}
    callback.on_epoch_end(0, logs)
    assert logs == {"loss": 1.0}


def test_before_compile_and_without_logs_it_adds_nothing():
    callback = LearningRates()
    callback.set_model(WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY))
    callback.on_epoch_end(0, None)
    logs = {}
    callback.on_epoch_end(0, logs)
    assert logs == {}
