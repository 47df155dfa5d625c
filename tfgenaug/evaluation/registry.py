"""The registry of training conditions: what a condition is, and where to look one up.

A condition is one `Condition` record, registered once (`tfgenaug.evaluation.catalog`
registers the efficacy benchmark's). Everything else asks the registry: `EvalConfig`
checks a name with `get`, `training_batches` calls the record's `batches`,
`train_classifier` its `network` and `wrap`, `evaluate_condition` its `train`, and the
binary and the benchmark list `names()` and read `generator_run` / `benchmark_cases`.

This module imports no other part of `tfgenaug.evaluation`, so every module there can
look conditions up without an import circle.
"""

import dataclasses
from collections.abc import Callable
from collections.abc import Mapping

import numpy as np

# The efficacy benchmark's kinds of data case: few images per class, a few rare classes,
# and the transfer case (rare classes at a few-shot count, the others whole: issue 21).
LOW_DATA = "low_data"
IMBALANCE = "imbalance"
TRANSFER = "transfer"
BOTH_CASES = (LOW_DATA, IMBALANCE)
BENCHMARK_CASES = (LOW_DATA, IMBALANCE, TRANSFER)


@dataclasses.dataclass
class TrainingSet:
    """The images a condition may train on (never the test split).

    Attributes:
        images: float32 selected training images `(N, H, W, C)` in [-1, 1].
        labels: their int class ids `(N,)`.
        num_classes: int. K.
        pool: `(images, labels)` of the train split left out by the selection, for the
            conditions with `needs_pool`; otherwise `None`.
    """

    images: np.ndarray
    labels: np.ndarray
    num_classes: int
    pool: tuple[np.ndarray, np.ndarray] | None = None


@dataclasses.dataclass
class Trained:
    """What a condition's `train` returns.

    Attributes:
        model: the classifier reported (anything with `predict(images) -> logits`).
        details: JSON-serialisable sections added to the report, e.g. `{"stda": {...}}`.
        test_details: optional callable `(test_images, test_labels) -> {section:
            {field: value}}`, called once after the classifier is scored, whose fields
            are added to `details`' sections (e.g. the ST-DA teacher's test accuracy).
    """

    model: object
    details: dict = dataclasses.field(default_factory=dict)
    test_details: Callable[[np.ndarray, np.ndarray], dict] | None = None


@dataclasses.dataclass(frozen=True)
class Condition:
    """One training condition of the efficacy benchmark.

    Attributes:
        name: the condition's name (`EvalConfig.condition`, the benchmark's row).
        summary: one sentence: what is in the classifier's training batches.
        train: callable `(config, training_set) -> Trained` making the classifier
            reported (usually `classifier.train_on_batches`).
        batches: callable `(images, labels, *, batch_size, seed, num_classes,
            generator, gan_rate) -> tf.data.Dataset`, the endless stream the classifier
            is fitted on (usually a `batches.BatchStream`); `None` when the condition
            makes its own batches (then `train` must not call `train_classifier` with it).
        network: optional callable `(config, images, num_classes) -> (model,
            optimizer)`: the classifier and optimiser; `None` is the benchmark's
            `small_cnn` with Adam(`config.learning_rate`).
        wrap: optional callable `(model, config) -> model` applied before compiling
            (e.g. adversarial training); `None` leaves the model alone.
        generator_run: the generator run it needs (a key of `GENERATOR_RUNS`), or `None`.
            `EvalConfig.generator` must then be given.
        reads_run: the classifier is read from the run itself, so `EvalConfig.generator`
            is the run's `model_dir` (or trainer), not its SavedModel export.
        run_options: `TrainConfig` fields the run needs beyond `generator_run`'s (e.g.
            DADA's `{"aug": True}`).
        needs_pool: it also gets the train images the selection left out, unlabelled
            (`TrainingSet.pool`).
        benchmark_cases: the efficacy benchmark's cases it runs in (`LOW_DATA`,
            `IMBALANCE`, `TRANSFER`); `()` keeps it out of the benchmark.
        module: where its behaviour is written, for error messages and readers.
    """

    name: str
    summary: str
    train: Callable
    batches: Callable | None = None
    network: Callable | None = None
    wrap: Callable | None = None
    generator_run: str | None = None
    reads_run: bool = False
    run_options: Mapping = dataclasses.field(default_factory=dict)
    needs_pool: bool = False
    benchmark_cases: tuple[str, ...] = BOTH_CASES
    module: str = "tfgenaug.evaluation.batches"


_REGISTRY: dict[str, Condition] = {}


def register(condition: Condition) -> Condition:
    """Adds `condition` to the registry (after those already there) and returns it.

    Raises:
        ValueError: a condition of that name is registered already, or a case in
            `benchmark_cases` is unknown.
    """
    if condition.name in _REGISTRY:
        raise ValueError(f"condition {condition.name!r} is registered already")
    for case in condition.benchmark_cases:
        if case not in BENCHMARK_CASES:
            raise ValueError(
                f"benchmark_cases must be among {list(BENCHMARK_CASES)}; got {case!r}")
    _REGISTRY[condition.name] = condition
    return condition


def unregister(name: str) -> Condition:
    """Removes the condition `name` (e.g. one a test registered) and returns it."""
    return _REGISTRY.pop(check_condition(name))


def names() -> tuple[str, ...]:
    """The registered conditions' names, in registration order."""
    return tuple(_REGISTRY)


def pool_conditions() -> tuple[str, ...]:
    """The conditions that learn from unlabelled images (`needs_pool`)."""
    return tuple(name for name, entry in _REGISTRY.items() if entry.needs_pool)


def check_condition(condition: str) -> str:
    """Returns `condition` if registered; otherwise raises a ValueError listing the known ones."""
    if condition not in _REGISTRY:
        raise ValueError(f"condition must be one of {list(_REGISTRY)}; got {condition!r}")
    return condition


def get(condition: str) -> Condition:
    """The `Condition` record named `condition`.

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    return _REGISTRY[check_condition(condition)]


def generator_trainer(condition: str) -> str | None:
    """The generator run a `condition` samples from or reads (a key of `GENERATOR_RUNS`)."""
    return get(condition).generator_run


def conditions_in(case: str) -> tuple[str, ...]:
    """The conditions the efficacy benchmark runs in `case` (`LOW_DATA` or `IMBALANCE`)."""
    return tuple(name for name, entry in _REGISTRY.items() if case in entry.benchmark_cases)
