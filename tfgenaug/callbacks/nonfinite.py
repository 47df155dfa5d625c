"""Stopping a diverging run: non-finite losses and weights."""

import math
from collections.abc import Callable

import keras
import numpy as np

from tfgenaug.callbacks.checkpoint import train_steps_of


class NonFiniteLossError(RuntimeError):
    """A training loss became NaN or infinite.

    Attributes:
        name: str. The first logged loss that is not finite.
        value: float. Its value (`nan`, `inf` or `-inf`).
        step: int. The step (e.g. generator step) at which it was seen.
        logs: dict. Every logged value at that step.
    """

    def __init__(self, message: str, name: str, value: float, step: int, logs: dict):
        super().__init__(message)
        self.name = name
        self.value = value
        self.step = step
        self.logs = logs


def non_finite_logs(logs: dict | None) -> dict[str, float]:
    """Returns the entries of Keras `logs` that are NaN or infinite, as floats."""
    bad = {}
    for name, value in (logs or {}).items():
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            continue  # not a number (e.g. a string)
        if array.size and not np.all(np.isfinite(array)):
            bad[name] = float(array.reshape(-1)[~np.isfinite(array.reshape(-1))][0])
    return bad


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops `fit()` at the first step whose logged losses are NaN or infinite.

    Unlike `keras.callbacks.TerminateOnNaN`, which looks at `loss` only, every logged
    value is checked (a GAN trainer logs `d_loss`, `g_loss`, ...), and the run fails
    with a `NonFiniteLossError` naming the loss, its value and the step, instead of
    ending as if it had finished. Raised from `on_train_batch_end`, the error leaves
    `fit()` before any later callback runs, so a checkpoint callback placed after
    this one never saves the diverged weights.

    The trainers' loss trackers average over the epoch so far; a NaN or infinity in
    one step makes the average non-finite at that step, so the step reported is the
    first bad one.

    Args:
        step_fn: callable returning the model's current step; defaults to the
            trainer's `train_steps` (`train_steps_of`).
        raise_error: bool. Raise `NonFiniteLossError` (`True`) or only set
            `model.stop_training` and keep the error in `self.error`. Defaults to
            `True`.

    Example:
    ```python
    trainer.fit(ds, steps_per_epoch=250, epochs=8,
                callbacks=[StopOnNonFinite(), TrainingCheckpoint("runs/x/ckpt")])
    # NonFiniteLossError: g_loss is nan at step 1234 (d_loss=nan, g_loss=nan, ...)
    ```
    """

    def __init__(self, step_fn: Callable | None = None, raise_error: bool = True):
        super().__init__()
        self.step_fn = step_fn or train_steps_of
        self.raise_error = bool(raise_error)
        self.error: NonFiniteLossError | None = None

    def on_train_batch_end(self, batch, logs=None):
        bad = non_finite_logs(logs)
        if not bad:
            return
        name, value = next(iter(bad.items()))
        step = self.step_fn(self.model)
        shown = ", ".join(f"{k}={_format(v)}" for k, v in (logs or {}).items())
        self.error = NonFiniteLossError(
            f"Training diverged: {name} is {_format(value)} at step {step} ({shown}). "
            "No checkpoint was saved at or after this step.",
            name=name, value=value, step=step, logs=dict(logs or {}),
        )
        self.model.stop_training = True
        if self.raise_error:
            raise self.error


def _format(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(value) if not math.isfinite(value) else f"{value:.4g}"
