"""`jit_compile="auto"`: the faster compile path for this trainer on this machine.

Which of XLA and the plain TensorFlow graph runs a trainer's step faster depends on the
device, the trainer and the machine: on the same kind of 2-core CPU the reference WGAN-GP
step ran at 0.87x with XLA one day and ~2x the next, and DADA and DFG at 0.25x
(`benchmarks/results/throughput.md`). So `"auto"` does not guess:

- on an accelerator (GPU, TPU) it takes XLA;
- under op determinism (`--deterministic`) it takes XLA without timing (a timed choice
  would make the numbers depend on the machine's load);
- on a CPU-only `MultiWorkerMirroredStrategy` it takes the graph without timing (every
  worker must make the same choice, and timings differ between hosts);
- for a run of at most `PROBE_TOTAL_STEPS` steps it takes the graph without timing: the
  probe would train more steps than the run itself, and XLA's compilation, which the
  graph does not pay, is never repaid over so few steps (a 2-step run of the evaluate
  binary used 26.5 CPU s with the probe, 18.6 s without);
- otherwise it **times both paths** on the training data before the first step, in
  interleaved rounds, and keeps the one with the lower median step time. The probe's
  steps are undone (the trainer is restored from an in-memory checkpoint), so training
  starts from the same weights, optimizer state and step as without a probe, and the
  chosen path's trace is kept for the run.

`choose_compile_path` runs the probe; `Trainer.fit` calls it on first use, and the run
loop records the choice in `config.json` so that a resumed run keeps it.
"""

import dataclasses
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from absl import logging

# `enable_op_determinism` is public, its query is not (TF 2.21).
from tensorflow.python.framework import config as tf_framework_config

from tfgenaug.data.autotuning import without_autotuning

AUTO = "auto"
# Probe size: rounds of (graph, XLA), each timing `PROBE_STEPS` steps after the first
# step of its `fit` call (which pays the input pipeline's start-up).
PROBE_ROUNDS = 3
PROBE_STEPS = 4
# The probe stops after a round in which every step of one path was at least this many
# times slower than every step of the other: more rounds cannot change the choice, and a
# slow path is expensive to keep timing (DADA's XLA step was 4x its graph step).
DECISIVE_RATIO = 2.0
# The most steps the probe trains: each path's untimed first step, then per round and
# path one start-up step and `PROBE_STEPS` timed ones. A run no longer than this is a
# "short run" (see the module docstring).
PROBE_TOTAL_STEPS = 2 * (1 + PROBE_ROUNDS * (PROBE_STEPS + 1))
ACCELERATOR_TYPES = ("GPU", "TPU")


def check_jit_compile(value, name: str = "jit_compile") -> bool | str:
    """`value` as `True`, `False` or `"auto"`, or a ValueError naming `name`.

    Args:
        value: a bool (numpy bools too) or the string `"auto"`.
        name: the argument's name in the error.

    Returns:
        `True`, `False` or `"auto"`.

    Raises:
        ValueError: any other value.

    Example:
    ```python
    check_jit_compile("auto")   # "auto"
    check_jit_compile(np.True_)  # True
    ```
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str) and value == AUTO:
        return AUTO
    raise ValueError(f"{name} must be True, False or 'auto'; got {value!r}")


def has_accelerator() -> bool:
    """Whether TensorFlow sees a GPU or TPU."""
    return any(device.device_type in ACCELERATOR_TYPES
               for device in tf.config.list_logical_devices())


@dataclasses.dataclass(frozen=True)
class CompilePath:
    """The compile path a trainer runs, and why.

    Attributes:
        jit_compile: bool. Whether the step compiles with XLA.
        reason: `"forced"` (`True`/`False` given), `"accelerator"`, `"deterministic"`,
            `"multi-worker"`, `"short run"` (no more steps than the probe's),
            `"measured"` (the probe timed both), `"recorded"` (a resumed run's choice),
            `"not measurable"` (data the probe cannot replay) or `"probing"` (during
            the probe).
        xla_seconds: median seconds per step with XLA, when measured.
        graph_seconds: median seconds per step without XLA, when measured.
        xla_spread: `(min, max)` seconds per step with XLA over the probe's steps.
        graph_spread: `(min, max)` seconds per step without XLA.
        rounds: interleaved rounds the probe timed (fewer than `PROBE_ROUNDS` when one
            path was decisively slower).
    """

    jit_compile: bool
    reason: str
    xla_seconds: float | None = None
    graph_seconds: float | None = None
    xla_spread: tuple[float, float] | None = None
    graph_spread: tuple[float, float] | None = None
    rounds: int | None = None

    @property
    def name(self) -> str:
        """`"xla"` or `"graph"`."""
        return "xla" if self.jit_compile else "graph"

    def describe(self) -> str:
        """One line for logs, e.g. `XLA (measured, ...: XLA 80.1 ms/step, graph 150.3 ms/step)`."""
        label = "XLA" if self.jit_compile else "graph (no XLA)"
        if self.xla_seconds is None or self.graph_seconds is None:
            return f"{label} ({self.reason})"
        how = ("recorded at the run's start" if self.reason == "recorded"
               else f"measured, median of {self.rounds or PROBE_ROUNDS} interleaved rounds")
        return (f"{label} ({how}: XLA {self.xla_seconds * 1e3:.1f} ms/step, graph "
                f"{self.graph_seconds * 1e3:.1f} ms/step)")

    def to_json(self) -> dict:
        """A JSON-ready dict (the run's `config.json` keeps it)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, fields: dict) -> "CompilePath":
        """The choice `to_json` wrote, read back (JSON's lists made tuples again)."""
        spreads = {k: tuple(v) for k, v in fields.items() if k.endswith("_spread") and v}
        return cls(**{**fields, **spreads})


def is_short_run(steps: int | None) -> bool:
    """Whether a run of `steps` (None: not known) is too short to be worth timing: no
    more steps than the probe itself trains (`PROBE_TOTAL_STEPS`)."""
    return steps is not None and steps <= PROBE_TOTAL_STEPS


def path_without_timing(trainer: keras.Model, data: tf.data.Dataset | None,
                        steps: int | None = None) -> CompilePath | None:
    """The path `"auto"` takes without timing, or None when the probe should time both.

    XLA on an accelerator, and under op determinism (`--deterministic`: a path picked by
    timing would make the numbers depend on the machine's load); the graph under a CPU
    `MultiWorkerMirroredStrategy` (every worker must choose alike), for a run of `steps`
    at most `PROBE_TOTAL_STEPS`, and where the probe cannot undo its steps (networks not
    built yet) or replay the data (`data` None). `steps` None: the run's length is not
    known.
    """
    if has_accelerator():
        return CompilePath(True, "accelerator")
    if tf_framework_config.is_op_determinism_enabled():
        return CompilePath(True, "deterministic")
    if isinstance(trainer.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return CompilePath(False, "multi-worker")
    if is_short_run(steps):
        return CompilePath(False, "short run")
    if data is None or not all(network.built for network in trainer.networks()):
        return CompilePath(False, "not measurable")
    return None


def measure_restoring(trainer: keras.Model,
                      run_steps: Callable[[bool, int], list[float]]) -> CompilePath:
    """Times both paths with `run_steps` (see `measure_paths`), then restores `trainer`.

    Whatever the probe's steps changed (weights, optimizer slots and counters, EMAs) is
    put back from a checkpoint written before them, even if a step fails.
    """
    state = TrainerState(trainer)
    try:
        seconds = measure_paths(run_steps)
    finally:
        trainer.compile_path = None
        state.restore()
        state.close()
    return choose_from_timings(seconds)


def fit_steps(x, *, batch_size: int | None = None, epochs: int = 1, initial_epoch: int = 0,
              steps_per_epoch: int | None = None, validation_split: float = 0.0,
              **other_fit_arguments) -> int | None:
    """How many steps `fit` with these arguments trains, or None if not known beforehand.

    Args:
        x: `fit`'s input: a `tf.data.Dataset` of batches or an array of images.
        batch_size: the batch size of array `x` (32 if None, as Keras').
        epochs: `fit`'s `epochs`.
        initial_epoch: `fit`'s `initial_epoch`.
        steps_per_epoch: `fit`'s `steps_per_epoch`.
        validation_split: `fit`'s `validation_split`: array `x` trains on its first
            `floor(len(x) * (1 - validation_split))` rows, as Keras splits it.
        **other_fit_arguments: the rest of `fit`'s keyword arguments (not counted).

    Returns:
        The step count, or None for a dataset of infinite or unknown length without
        `steps_per_epoch`, or an input that is neither a dataset nor an array.

    Example:
    ```python
    fit_steps(np.zeros((100, 8, 8, 1)), batch_size=32, epochs=2)  # 8
    ```
    """
    del other_fit_arguments  # callbacks, verbose, ... do not change the count
    epochs = max(int(epochs) - int(initial_epoch), 0)
    if steps_per_epoch is not None:
        return epochs * int(steps_per_epoch)
    if isinstance(x, tf.data.Dataset):
        batches = int(x.cardinality())
        return epochs * batches if batches >= 0 else None
    if isinstance(x, np.ndarray | tf.Tensor | list):
        rows = math.floor(len(x) * (1.0 - float(validation_split or 0.0)))
        return epochs * -(-rows // (batch_size or 32))
    return None


def probe_dataset(x, y=None, batch_size: int | None = None) -> tf.data.Dataset | None:
    """A repeating dataset of `fit`'s input for the probe, or None if it cannot replay.

    A `tf.data.Dataset` is replayed from its start through iterators of its own; one that
    reshuffles on each iteration (`shuffle`'s default) gives every new iterator the next
    order, so a later `fit` on the same dataset object sees another order than without
    the probe. Give the probe a dataset of its own where the order matters (the runs
    do: `runs.fit_loop.run_batches`). Arrays are batched as `fit` would (32 rows unless
    `batch_size`). A Python generator or iterator cannot be replayed. Autotuning is off:
    the probe calls `fit` 8 times, and with it on a `fit` often returned seconds after its
    last step, waiting for the autotuner as its iterator died (`data.without_autotuning`).
    """
    if isinstance(x, tf.data.Dataset):
        return without_autotuning(x.repeat())
    if isinstance(x, np.ndarray | tf.Tensor | list):
        arrays = (np.asarray(x),) if y is None else (np.asarray(x), np.asarray(y))
        rows = len(arrays[0])
        size = min(batch_size or 32, rows)
        data = tf.data.Dataset.from_tensor_slices(arrays).batch(size, drop_remainder=True)
        return without_autotuning(data.repeat())
    return None


class StepTimer(keras.callbacks.Callback):
    """Records the wall time at the end of every train batch."""

    def __init__(self):
        super().__init__()
        self.ends: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def measure_paths(run_steps: Callable[[bool, int], list[float]], rounds: int = PROBE_ROUNDS,
                  steps: int = PROBE_STEPS) -> dict[bool, list[float]]:
    """Per-step seconds of both paths, in interleaved rounds.

    Args:
        run_steps: `(jit_compile, n) -> batch end times` of `n` steps on that path.
        rounds: at most this many rounds of (graph, XLA); each path's first call (its
            trace) comes first and is not timed. Fewer when a round leaves one path
            decisively slower (`decisive`).
        steps: timed steps per path per round.

    Returns:
        `{False: graph seconds per step, True: XLA seconds per step}`.
    """
    for jit in (False, True):  # traces and compiles, untimed
        run_steps(jit, 1)
    seconds = {False: [], True: []}
    for _ in range(rounds):
        for jit in (False, True):
            ends = run_steps(jit, steps + 1)
            seconds[jit].extend(float(b - a) for a, b in zip(ends, ends[1:], strict=False))
        if decisive(seconds):
            break
    return seconds


def decisive(seconds: dict[bool, list[float]], ratio: float = DECISIVE_RATIO) -> bool:
    """Whether every step of one path took at least `ratio` times every step of the other."""
    graph, xla = seconds[False], seconds[True]
    if not graph or not xla:
        return False
    return min(xla) >= ratio * max(graph) or min(graph) >= ratio * max(xla)


def choose_from_timings(seconds: dict[bool, list[float]]) -> CompilePath:
    """The path with the lower median step time (the graph on a tie)."""
    graph, xla = statistics.median(seconds[False]), statistics.median(seconds[True])
    return CompilePath(
        jit_compile=xla < graph, reason="measured", xla_seconds=xla, graph_seconds=graph,
        xla_spread=(min(seconds[True]), max(seconds[True])),
        graph_spread=(min(seconds[False]), max(seconds[False])),
        rounds=-(-len(seconds[False]) // PROBE_STEPS),
    )


class TrainerState:
    """The whole trackable state of a trainer, written once and restorable.

    The same object graph as the run's checkpoints (`tf.train.Checkpoint(trainer=...)`):
    weights, optimizer slots and counters, EMAs and every other tracked variable.
    """

    def __init__(self, trainer: keras.Model):
        self._directory = tempfile.TemporaryDirectory(prefix="tfgenaug-probe-")
        self._checkpoint = tf.train.Checkpoint(trainer=trainer)
        self._path = self._checkpoint.write(os.path.join(self._directory.name, "state"))

    def restore(self) -> None:
        """Puts every variable back to its value at construction."""
        self._checkpoint.read(self._path).assert_existing_objects_matched()

    def close(self) -> None:
        self._directory.cleanup()


class CompilePathMixin:
    """The kernel's compile-path methods (`tfgenaug.trainers.core.Trainer` has them).

    State (set by `Trainer.compile_trainer`): `compile_path` (None until chosen),
    `_jit_path` (the path the train function is built for) and `_path_functions` (each
    other path's traced train function and per-replica compiled maths).
    """

    def use_compile_path(self, path: CompilePath) -> None:
        """Trains on `path` (XLA or graph) from the next step on, reusing its trace."""
        self._set_jit(path.jit_compile)
        self.compile_path = path

    def _set_jit(self, jit: bool) -> None:
        """Sets the XLA split for `jit` and swaps in that path's traced functions."""
        current, functions = self._jit_path, self._path_functions
        if current is not None and current != jit:
            functions[current] = (self.train_function, self._compiled_cache)
        num_replicas = self.distribute_strategy.num_replicas_in_sync
        self.jit_requested = jit
        self.xla_per_replica = jit and num_replicas > 1
        blocker = self.per_replica_xla_blocker() if self.xla_per_replica else None
        if blocker:
            logging.warning("%s; running the maths without XLA.", blocker)
            self.xla_per_replica = False
        self.jit_compile = jit and num_replicas == 1
        if current != jit:
            self.train_function, self._compiled_cache = functions.pop(jit, (None, {}))
        self._jit_path = jit

    def choose_path_for_fit(self, x, y, range_check: bool, fit_kwargs: dict) -> CompilePath:
        """`choose_compile_path` for `fit(x, y, range_check=..., **fit_kwargs)`, told the
        steps that fit will train (`fit_steps`), so that a short fit is not timed."""
        return self.choose_compile_path(x, y, batch_size=fit_kwargs.get("batch_size"),
                                        range_check=range_check,
                                        steps=fit_steps(x, **fit_kwargs))

    def choose_compile_path(self, x=None, y=None, *, batch_size: int | None = None,
                            range_check: bool = True,
                            steps: int | None = None) -> CompilePath:
        """Resolves `jit_compile="auto"` (once) and returns the path training runs on.

        On a CPU both paths fit a few steps on `x` in interleaved rounds and the
        trainer is then restored (see `tfgenaug.trainers.compile_path`), unless the run
        is short. `fit` calls this itself with the steps it will train; call it first
        to know the path before training, or to time the paths whatever the run's
        length.

        Args:
            x: `fit`'s input: a `tf.data.Dataset` of batches or an array of images.
            y: the labels of array `x`.
            batch_size: the batch size of array `x` (as `fit`'s).
            range_check: as `fit`'s.
            steps: the steps the run will train, if known: at most `PROBE_TOTAL_STEPS`
                takes the graph without timing (`"short run"`).

        Returns:
            The `CompilePath` (also `trainer.compile_path`).

        Example:
        ```python
        trainer.compile()  # jit_compile="auto"
        print(trainer.choose_compile_path(dataset).describe())
        ```
        """
        if self.compile_path is not None:
            return self.compile_path
        data = probe_dataset(x, y, batch_size)
        path = path_without_timing(self, data, steps)
        if path is None:

            def run_steps(jit: bool, steps: int) -> list[float]:
                self.use_compile_path(CompilePath(jit, "probing"))
                timer = StepTimer()
                self.fit(data, steps_per_epoch=steps, epochs=1, verbose=0,
                         callbacks=[timer], range_check=range_check)
                return timer.ends

            path = measure_restoring(self, run_steps)
        self.use_compile_path(path)
        logging.info("%s compile path: %s", type(self).__name__, path.describe())
        return path
