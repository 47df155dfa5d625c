"""callbacks/progress.py: the bar counts to the run's last step, not the epoch's length."""

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.callbacks import RunProgress
from tfgenaug.callbacks import StopAtStep


def _steps(model) -> int:
    return int(model.optimizer.iterations.numpy())


def _fit(capsys, stop: int, progress: bool, epochs: int = 1, initial_epoch: int = 0) -> str:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    data = tf.data.Dataset.from_tensor_slices(
        (np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32"))).batch(2).repeat()
    callbacks = [StopAtStep(stop, step_fn=_steps)]
    if progress:
        callbacks.append(RunProgress(stop, step_fn=_steps))
    capsys.readouterr()
    model.fit(data, steps_per_epoch=5, epochs=epochs, initial_epoch=initial_epoch,
              callbacks=callbacks, verbose=1)
    assert _steps(model) == stop
    return capsys.readouterr().out


def test_keras_own_bar_draws_the_stopped_epoch_full(capsys):
    # What RunProgress is for: if Keras stops doing this, it can go.
    assert "5/5" in _fit(capsys, stop=2, progress=False)


def test_the_bar_ends_at_the_stop_step(capsys):
    out = _fit(capsys, stop=2, progress=True)
    assert "2/2" in out and "5/5" not in out


def test_full_epochs_keep_their_length_and_the_last_is_cut(capsys):
    out = _fit(capsys, stop=7, progress=True, epochs=2)
    assert "Epoch 1/2" in out and "5/5" in out and "2/2" in out
