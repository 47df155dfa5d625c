"""Refuses to resume a run directory with another trainer or other data.

A run resumes from the newest checkpoint of its directory. Before this check, a command
that named the directory of another run resumed it as best it could: a DCGAN restored
a WGAN-GP's checkpoint whose variables it shared and overwrote its `config.json`; a
wider generator failed deep in TensorFlow's restore. What may change when a run is
resumed: the steps to reach, the critic steps (`n_critic`), the seed, the compile
path request, the strategy, checkpointing and reporting. What may not: the trainer,
the settings of its networks and the data it trains on.
"""

import posixpath

import tensorflow as tf

from tfgenaug import jsonio
from tfgenaug.runs import model_dir

# Trainer settings a resumed run may change: the critic steps per generator step (the
# train binary's n_critic, kept from the record unless set again), the seed (a diverged
# run's advice: resume from the last finite checkpoint with another seed), and Keras'
# bookkeeping.
RESUMABLE_TRAINER_SETTINGS = ("n_critic", "seed", "name", "trainable")


def check_same_run(trainer, directory: str, run_config: dict) -> None:
    """Raises a ValueError if `directory` holds a run that `trainer` must not resume.

    Nothing is checked when the directory has no checkpoint (a fresh start overwrites
    nothing) or no `config.json` (a run from before the record).

    Args:
        trainer: the trainer about to restore the directory's newest checkpoint.
        directory: the run directory restored from (its `checkpoints/`, `config.json`).
        run_config: the `config.json` fields this run records besides the trainer's
            (e.g. `dataset`, `training_counts`); those the recorded run also has must
            be equal.

    Raises:
        ValueError: naming the directory, each setting that differs with its recorded
            and its new value, and what to do.

    Example:
    ```python
    check_same_run(trainer, "runs/wgan_gp_digits",
                   {"dataset": info, "training_counts": counts})
    ```
    """
    if tf.train.latest_checkpoint(posixpath.join(directory, "checkpoints")) is None:
        return
    recorded = model_dir.recorded_run_config(directory)
    if recorded is None:
        return
    name = type(trainer).__name__
    if recorded["trainer_class"] != name:
        raise ValueError(
            f"cannot resume the run in {directory}: it trains a {recorded['trainer_class']}, "
            f"and this run a {name}. Choose another model_dir for a new run")
    differences = setting_differences(recorded["trainer_config"],
                                      jsonio.to_jsonable(trainer.get_config()),
                                      skip=RESUMABLE_TRAINER_SETTINGS, scalars_only=True)
    differences += setting_differences(recorded, model_dir.run_fields(run_config))
    if differences:
        raise ValueError(
            f"cannot resume the run in {directory}: its {name} was begun with other "
            f"settings ({'; '.join(differences)}). Resume it with the settings it began "
            "with, or choose another model_dir for a new run")


def setting_differences(recorded: dict, new: dict, skip: tuple[str, ...] = (),
                        scalars_only: bool = False) -> list[str]:
    """`"key: recorded -> new"` for each key both records hold with different values.

    Args:
        recorded: a record as `config.json` holds it (plain JSON types).
        new: the record to compare, in the same plain JSON types.
        skip: keys not compared.
        scalars_only: compare no nested entries (Keras network configs, whose form
            changes with Keras' version): the scalar settings that build them are.

    Returns:
        The differences, sorted by key; empty when the records agree.

    Example:
    ```python
    setting_differences({"width": 4, "n_critic": 3}, {"width": 8, "n_critic": 3})
    # ["width: 4 -> 8"]
    ```
    """
    found = []
    for key in sorted(recorded.keys() & new.keys()):
        old, value = recorded[key], new[key]
        if key in skip or (scalars_only and isinstance(old, dict | list)):
            continue
        if old != value:
            found.append(f"{key}: {_short(old)} -> {_short(value)}")
    return found


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
