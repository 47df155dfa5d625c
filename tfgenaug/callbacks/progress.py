"""Keras' progress bar for a run that stops at a step count, not at an epoch's end."""

import keras

from tfgenaug.callbacks.checkpoint import train_steps_of


class RunProgress(keras.callbacks.ProgbarLogger):
    """Keras' progress bar whose epochs end where the run will: at step `steps`.

    A run trains in epochs of `steps_per_epoch` steps (one per checkpoint) and
    `StopAtStep` ends it mid-epoch when `steps` is not a multiple of them. Keras' own
    bar then counts to the epoch's full length and, when `fit` stops, draws it finished
    ("250/250" after a 2-step run). This one counts each epoch to
    `min(steps_per_epoch, steps left)`. Pass it to `fit` in `callbacks`: Keras then adds
    no bar of its own, and `verbose` still decides what is printed.

    Args:
        steps: int. The step the run stops at (as `StopAtStep(steps)`).
        step_fn: callable returning the model's current step; defaults to the trainer's
            `train_steps` (`train_steps_of`).

    Example:
    ```python
    trainer.fit(ds, steps_per_epoch=250, epochs=1,
                callbacks=[StopAtStep(2), RunProgress(2)])  # draws "2/2"
    ```
    """

    def __init__(self, steps: int, step_fn=None):
        super().__init__()
        self.steps = steps
        self.step_fn = step_fn or train_steps_of
        self.epoch_steps = None

    def set_params(self, params):
        super().set_params(params)  # Keras' bar sets its `target` here, per fit
        self.epoch_steps = params["steps"]

    def on_epoch_begin(self, epoch, logs=None):
        left = self.steps - self.step_fn(self.model)
        if self.epoch_steps is not None and left > 0:
            self.target = min(self.epoch_steps, left)
        super().on_epoch_begin(epoch, logs)
