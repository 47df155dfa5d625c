"""Checkpoints of a whole trainer (networks, optimizers, step) with resume."""

import keras
import tensorflow as tf
from absl import logging


def train_steps_of(model) -> int:
    """The train steps a trainer has taken: the kernel's `train_steps` counter.

    A model without one (not a `tfgenaug.trainers.Trainer`) counts its
    `g_optimizer`'s iterations.
    """
    steps = getattr(model, "train_steps", None)
    if isinstance(steps, int):
        return steps
    return int(keras.ops.convert_to_numpy(model.g_optimizer.iterations))


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves the trainer with `tf.train.CheckpointManager` and restores the newest one.

    The checkpoint holds every variable the trainer tracks: both networks, both
    optimizers (so their step counters), and the metric trackers. It is saved at the
    end of every epoch and of training, numbered by the trainer's step. Call
    `restore()` before `fit()` to continue where a killed run stopped.

    A trainer holding a NaN or infinity in any float variable is never saved: the
    save is skipped with a warning, so the newest checkpoint stays the last finite
    one. `tf.train.CheckpointManager` writes the data files first and the
    `checkpoint` index last (atomically), so a run killed mid-save leaves the
    previous checkpoints listed and readable.

    Args:
        directory: str. Where checkpoints go.
        max_to_keep: int. Number of checkpoints kept. Defaults to 3.
        step_fn: callable returning the model's current step; defaults to the
            trainer's `train_steps` (`train_steps_of`).
        restore_from: directory whose newest checkpoint `restore()` reads; defaults
            to `directory`. A non-chief worker of a multi-worker run saves to its
            own scratch directory but restores the chief's checkpoints.

    Example:
    ```python
    checkpoint = TrainingCheckpoint("runs/wgan/checkpoints")
    checkpoint.set_model(trainer)
    start = checkpoint.restore()  # 0 on a fresh directory
    trainer.fit(ds, steps_per_epoch=250, epochs=12, initial_epoch=start // 250,
                callbacks=[checkpoint])
    ```
    """

    def __init__(self, directory: str, max_to_keep: int = 3, step_fn=None,
                 restore_from: str | None = None):
        super().__init__()
        if max_to_keep < 1:
            raise ValueError(f"max_to_keep must be >= 1; got {max_to_keep}")
        self.directory = directory
        self.restore_from = restore_from or directory
        self.max_to_keep = max_to_keep
        self.step_fn = step_fn or train_steps_of
        self._manager = None

    def set_model(self, model):
        if model is not getattr(self, "_model", None):
            self._manager = None
        super().set_model(model)

    @property
    def manager(self) -> tf.train.CheckpointManager:
        if self._manager is None:
            checkpoint = tf.train.Checkpoint(trainer=self.model)
            self._manager = tf.train.CheckpointManager(
                checkpoint, self.directory, max_to_keep=self.max_to_keep
            )
        return self._manager

    def restore(self) -> int:
        """Restores the newest checkpoint, if any, and returns the restored step (0 if none)."""
        latest = (self.manager.latest_checkpoint if self.restore_from == self.directory
                  else tf.train.latest_checkpoint(self.restore_from))
        if latest is None:
            return 0
        self.manager.checkpoint.restore(latest).assert_existing_objects_matched()
        step = self.step_fn(self.model)
        logging.info("Restored %s at step %d", latest, step)
        return step

    def save(self) -> str | None:
        """Saves a checkpoint numbered by the current step and returns its path.

        Returns the newest existing checkpoint (or `None`) instead when the trainer
        holds non-finite values, which are never saved.
        """
        step = self.step_fn(self.model)
        latest = self.manager.latest_checkpoint
        if latest and latest.endswith(f"-{step}"):  # on_train_end right after on_epoch_end
            return latest
        bad = first_non_finite_variable(self.model)
        if bad is not None:
            logging.warning("Not saving a checkpoint at step %d: %s is not finite; the newest "
                            "checkpoint stays %s", step, bad, latest)
            return latest
        return self.manager.save(checkpoint_number=step)

    def on_epoch_end(self, epoch, logs=None):
        self.save()

    def on_train_end(self, logs=None):
        self.save()


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit()` once the model's step reaches `steps` (mid-epoch too).

    Args:
        steps: int. Step at which to stop.
        step_fn: callable returning the model's current step; defaults to the
            trainer's `train_steps` (`train_steps_of`).
    """

    def __init__(self, steps: int, step_fn=None):
        super().__init__()
        self.steps = steps
        self.step_fn = step_fn or train_steps_of

    def on_train_batch_end(self, batch, logs=None):
        if self.step_fn(self.model) >= self.steps:
            self.model.stop_training = True


def first_non_finite_variable(model) -> str | None:
    """The path of the first float variable of `model` holding a NaN or an infinity.

    Returns:
        The variable's path (or name), or `None` if every float variable is finite.
    """
    for variable in model.variables:
        if not tf.as_dtype(variable.dtype).is_floating:
            continue
        if not bool(tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(variable)))):
            return getattr(variable, "path", None) or variable.name
    return None
