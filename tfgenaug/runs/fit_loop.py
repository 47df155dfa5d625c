"""The resumable fit loop shared by every run: seed, strategy, restore, config.json, fit.

A run (`generator_run.train_generator`, `dfg_run.run_dfg`) selects its data and builds its
trainer, then hands both to `fit_run`, which restores the newest checkpoint, writes the
run's `config.json` and trains to the step asked for on the seeded `training_stream`.
Rerunning the same command therefore resumes where the last run stopped.
"""

import dataclasses
import math
import os
import time
from collections.abc import Callable
from collections.abc import Sequence

import keras
import tensorflow as tf
from absl import logging

from tfgenaug import callbacks
from tfgenaug import strategies
from tfgenaug.runs import model_dir
from tfgenaug.runs import same_run
from tfgenaug.runs.stream import training_stream
from tfgenaug.trainers import compile_path


def training_steps(trainer) -> int:
    """The steps a run counts: the trainer kernel's `train_steps` counter."""
    return callbacks.train_steps_of(trainer)


def enable_determinism(seed: int) -> None:
    """Seeds Python, NumPy and TensorFlow and turns on TensorFlow's op determinism.

    Process-wide and irreversible: every later op in the process must have a
    deterministic kernel (those without one raise `UnimplementedError`).

    Args:
        seed: int. Seed given to `keras.utils.set_random_seed`.
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def begin_run(seed: int, strategy: str = "default",
              deterministic: bool = False) -> tf.distribute.Strategy:
    """Makes the run's strategy, then seeds everything (and, if asked, op determinism).

    The strategy comes first: `MultiWorkerMirroredStrategy` must configure collective
    ops before any op runs.

    Args:
        seed: seed of Python, NumPy and TensorFlow.
        strategy: a name in `tfgenaug.strategies.STRATEGIES`.
        deterministic: also call `enable_determinism(seed)`.

    Returns:
        The `tf.distribute.Strategy`.
    """
    made = strategies.make_strategy(strategy)
    keras.utils.set_random_seed(seed)
    if deterministic:
        enable_determinism(seed)
    return made


@dataclasses.dataclass
class FitPlan:
    """How `fit_run` trains a run.

    Attributes:
        train: the unbatched training pairs of the run's data case.
        batch_size: global batch size.
        seed: seed of the batch stream.
        steps: steps to reach (counted by `training_steps`).
        checkpoint_every: steps between checkpoints (and between Keras epochs).
        out_dir: where this process writes checkpoints and `config.json`.
        restore_dir: the run directory restored from; None for `out_dir`.
        run_config: the `config.json` fields after `trainer_class`/`trainer_config`
            (see `model_dir.write_run_config`), with `config_key` naming the run config.
        config_key: key of the run's own config in `config.json`.
        config: the run's config dataclass.
        callbacks_before: run-specific callbacks called before the stop/checkpoint ones.
        callbacks_after: run-specific callbacks called after the checkpoint.
        on_fresh_start: called with the trainer when no checkpoint was restored.
        non_finite_advice: if set, a diverged run's error names the newest checkpoint and
            ends with this advice.
        log_resume: also log the resume line with absl.
        stream: optional `start_step -> tf.data.Dataset`, the batches from `start_step`
            on, instead of `training_stream(train, batch_size, seed, start_step)` (e.g.
            a semi-supervised run's mixed batches); it must be a pure function of the
            run, so that a resumed run sees the batches of an uninterrupted one.
    """

    train: tf.data.Dataset
    batch_size: int
    seed: int
    steps: int
    checkpoint_every: int
    out_dir: str
    config_key: str
    config: object
    run_config: dict
    restore_dir: str | None = None
    callbacks_before: Sequence[keras.callbacks.Callback] = ()
    callbacks_after: Sequence[keras.callbacks.Callback] = ()
    on_fresh_start: Callable | None = None
    non_finite_advice: str | None = None
    log_resume: bool = False
    stream: Callable[[int], tf.data.Dataset] | None = None


def restore(trainer, plan: FitPlan) -> tuple[callbacks.TrainingCheckpoint, int]:
    """The run's checkpoint callback and the step restored from it (0 for a fresh run)."""
    checkpoint = callbacks.TrainingCheckpoint(
        os.path.join(plan.out_dir, "checkpoints"),
        restore_from=os.path.join(plan.restore_dir or plan.out_dir, "checkpoints"),
    )
    checkpoint.set_model(trainer)
    start = checkpoint.restore()
    if start:
        if plan.log_resume:
            logging.info("Resuming from step %d of %d", start, plan.steps)
        print(f"Resuming from step {start} of {plan.steps}", flush=True)
    elif plan.on_fresh_start is not None:
        plan.on_fresh_start(trainer)
    return checkpoint, start


def resolve_compile_path(trainer, batches: tf.data.Dataset,
                         recorded: compile_path.CompilePath | None = None,
                         steps: int | None = None) -> compile_path.CompilePath | None:
    """The compile path `trainer` trains on, chosen now if `jit_compile="auto"`.

    A resumed run takes the path its first part chose (`recorded`), so a run does not
    change path, or numbers, half-way (a run begun short keeps the graph when extended).
    The path is printed.

    Args:
        trainer: a compiled tfgenaug trainer.
        batches: the run's training batches, as a dataset the run's `fit` does not
            iterate (the probe replays it from its start; see `run_batches`).
        recorded: the path recorded by the run being resumed, if any.
        steps: the steps the run has left to train (a short run is not timed).

    Returns:
        The `CompilePath`, or None for a model without one (not a tfgenaug trainer).
    """
    if not hasattr(trainer, "choose_compile_path"):
        return None
    if trainer.compile_path is None and recorded is not None:
        trainer.use_compile_path(recorded)
    elif trainer.compile_path is None and not compile_path.is_short_run(steps):
        print("Timing XLA against the plain graph for jit_compile=auto ...", flush=True)
    path = trainer.choose_compile_path(batches, steps=steps)
    print(f"Compile path: {path.describe()}", flush=True)
    return path


def run_batches(plan: FitPlan, start_step: int) -> tf.data.Dataset:
    """The run's batches from `start_step` on: `plan.stream` or the seeded `training_stream`.

    Every call builds a new dataset. `fit_run` builds one for the run's `fit` and another
    for `jit_compile="auto"`'s probe: a dataset that reshuffles on each iteration gives
    every new iterator of it the next order, so a probe on the run's own dataset would
    move the run onto other batches than a resumed run (which does not probe) or a
    forced-path run sees.

    Args:
        plan: the run's `FitPlan`.
        start_step: batches to skip (the step the run resumes from).

    Returns:
        An endless `tf.data.Dataset` of `(images, labels)` batches.
    """
    if plan.stream is not None:
        return plan.stream(start_step)
    return training_stream(plan.train, plan.batch_size, plan.seed, start_step)


def fit_run(trainer, plan: FitPlan, verbose="auto") -> int:
    """Restores `trainer`, writes `config.json` and trains it to `plan.steps`.

    Args:
        trainer: a compiled trainer (built in the run's strategy scope).
        plan: a `FitPlan`.
        verbose: Keras `fit` verbosity.

    Returns:
        The step reached (`training_steps(trainer)`).

    Raises:
        ValueError: the directory holds a run of another trainer, other settings or
            other data (`same_run.check_same_run`), before anything is written.
        callbacks.NonFiniteLossError: a loss became NaN or infinite (before the
            checkpoint of that step could be written).
    """
    run_dir = plan.restore_dir or plan.out_dir  # where the run's record is read
    same_run.check_same_run(trainer, run_dir, plan.run_config)
    checkpoint, start = restore(trainer, plan)
    batches = run_batches(plan, start)
    recorded = model_dir.recorded_compile_path(run_dir) if start else None
    began = time.perf_counter()
    # The probe gets a stream of its own (see `run_batches`).
    path = (resolve_compile_path(trainer, run_batches(plan, start), recorded,
                                 steps=plan.steps - start)
            if start < plan.steps else recorded)
    probe_seconds = time.perf_counter() - began
    model_dir.write_run_config(
        plan.out_dir, plan.config_key, plan.config, trainer, **plan.run_config,
        **{model_dir.COMPILE_PATH_KEY: path.to_json() if path is not None else None})
    if start >= plan.steps:
        return training_steps(trainer)
    every = plan.checkpoint_every
    try:
        trainer.fit(
            batches,
            steps_per_epoch=every,
            epochs=math.ceil(plan.steps / every),
            initial_epoch=start // every,
            callbacks=[
                *plan.callbacks_before,
                callbacks.StopAtStep(plan.steps),
                callbacks.RunProgress(plan.steps),
                # Before the checkpoint: a diverged step raises before it can save.
                callbacks.StopOnNonFinite(),
                checkpoint,
                *plan.callbacks_after,
            ],
            verbose=verbose,
        )
        print(training_time_line(training_steps(trainer) - start,
                                 time.perf_counter() - began, probe_seconds), flush=True)
    except callbacks.NonFiniteLossError as error:
        if plan.non_finite_advice is None:
            raise
        latest = tf.train.latest_checkpoint(checkpoint.directory)
        kept = (f"The newest checkpoint, {latest}, holds the last finite weights"
                if latest else "No checkpoint was written before it")
        raise callbacks.NonFiniteLossError(
            f"{error} {kept}; {plan.non_finite_advice}.",
            name=error.name, value=error.value, step=error.step, logs=error.logs,
        ) from error
    return training_steps(trainer)


def training_time_line(steps: int, seconds: float, probe_seconds: float) -> str:
    """`Trained 2000 steps in 4 min 31 s: 7.9 steps/s (compile-path probe 21 s).`

    Args:
        steps: steps trained in this call (a resumed run counts from its restart).
        seconds: wall time of the training, the probe, checkpoints and sample grids
            included.
        probe_seconds: of which the compile-path probe took this long.

    Returns:
        One line for the end of a run.
    """
    minutes, rest = divmod(round(seconds), 60)
    took = f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"
    rate = steps / (seconds - probe_seconds) if seconds > probe_seconds else float("nan")
    probe = f" (compile-path probe {probe_seconds:.0f} s)" if probe_seconds >= 0.5 else ""
    return f"Trained {steps} steps in {took}: {rate:.2f} steps/s{probe}."
