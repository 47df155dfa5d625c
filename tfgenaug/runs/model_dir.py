"""The run-directory format: `config.json` and checkpoints of a train run, read back.

A run directory (`model_dir`) holds `config.json` (the run's config, the trainer's class
and `get_config()`, the dataset's `DatasetInfo` and the training counts of its data case)
and `checkpoints/` (`tf.train.Checkpoint(trainer=...)`, numbered by step).
`trainer_from_model_dir` rebuilds a generator run's trainer from them, and
`export_from_model_dir` exports its generator as a SavedModel.
"""

import dataclasses
import json
import os
import posixpath

import keras
import tensorflow as tf
from absl import logging

from tfgenaug import jsonio
from tfgenaug import trainers
from tfgenaug.metrics import PRDC_METRICS
from tfgenaug.savedmodels.export import export
from tfgenaug.savedmodels.feature_export import export_classifier
from tfgenaug.trainers import compile_path
from tfgenaug.trainers.base import ConditionalGANTrainer

CONFIG_FILE = "config.json"
# The entry of `config.json` that keeps a `jit_compile="auto"` run's choice.
COMPILE_PATH_KEY = "compile_path"
METRICS_FILE = "metrics.json"
# What of a run's metrics.json travels in its export's metadata, under "quality".
QUALITY_KEYS = (
    "label_agreement", "label_agreement_per_class", "judge_test_accuracy",
    "fid_judge_features",
    *(f"{name}_judge_features" for name in PRDC_METRICS),
    *(f"{name}_per_class_judge_features" for name in PRDC_METRICS),
)


def write_run_config(directory: str, config_key: str, config, trainer, **fields) -> str:
    """Writes `directory/config.json` for a run and returns its path.

    Args:
        directory: the run directory (this process's write directory).
        config_key: key of the run's config, e.g. `"train_config"` or `"dfg_config"`.
        config: the run's config dataclass, written with `dataclasses.asdict`.
        trainer: the trainer; its class name and `get_config()` are written.
        **fields: further entries, in order (e.g. `dataset`, `training_counts`);
            dataclasses are written as dicts.

    Returns:
        The path written.
    """
    record = {
        config_key: dataclasses.asdict(config),
        "trainer_class": type(trainer).__name__,
        "trainer_config": jsonio.to_jsonable(trainer.get_config()),
        **run_fields(fields),
    }
    path = os.path.join(directory, CONFIG_FILE)
    jsonio.write_json(path, record)
    return path


def run_fields(fields: dict) -> dict:
    """`fields` as `config.json` records them: dataclasses as dicts, all as plain JSON."""
    return jsonio.to_jsonable({
        name: dataclasses.asdict(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) else value
        for name, value in fields.items()})


def read_run_config(model_dir: str) -> dict:
    """Reads `model_dir/config.json`, written by the train binary.

    Raises:
        FileNotFoundError: naming the file if `model_dir` is not a train run.
        ValueError: naming the file if it is not valid run config JSON.
    """
    path = posixpath.join(str(model_dir), CONFIG_FILE)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(
            f"{path!r} does not exist: model_dir must be the output directory of "
            "tfgenaug.bin.train"
        )
    try:
        with tf.io.gfile.GFile(path) as f:
            config = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path!r} is not valid JSON: {error}") from error
    missing = [k for k in ("trainer_class", "trainer_config") if k not in config]
    if missing:
        raise ValueError(f"{path!r} lacks {missing}: not a tfgenaug train run config")
    return config


def recorded_compile_path(model_dir: str) -> compile_path.CompilePath | None:
    """The compile path a run chose (`config.json`'s `compile_path`), or None.

    None when the run has no `config.json`, or chose none (it forced `jit_compile`, or
    was written before the choice was recorded).
    """
    path = posixpath.join(str(model_dir), CONFIG_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        fields = json.load(f).get(COMPILE_PATH_KEY)
    if not fields:
        return None
    return dataclasses.replace(compile_path.CompilePath.from_json(fields), reason="recorded")


def recorded_run_config(model_dir: str) -> dict | None:
    """`read_run_config(model_dir)`, or None when `model_dir` has no `config.json` (no
    run began there).

    Raises:
        ValueError: naming the file if it is not a valid run config.
    """
    if not tf.io.gfile.exists(posixpath.join(str(model_dir), CONFIG_FILE)):
        return None
    return read_run_config(model_dir)


def recorded_trainer_config(model_dir: str) -> dict | None:
    """The trainer config a run began with (`config.json`'s `trainer_config`), or None.

    None when `model_dir` has no `config.json` (no run began there).

    Raises:
        ValueError: naming the file if it is not a valid run config.
    """
    recorded = recorded_run_config(model_dir)
    return None if recorded is None else recorded["trainer_config"]


def _trainer_class(config: dict, path: str) -> type[ConditionalGANTrainer]:
    name = config["trainer_class"]
    if "dfg_config" in config:  # DFG, or the FineTuner of its original and delta methods
        raise ValueError(
            f"{path!r} records a DFG transfer run (--trainer=dfg, method "
            f"{config['dfg_config'].get('method')!r}), whose models are not a generator "
            "trainer's: the run exports them itself. Run its command again with "
            "--export_dir (a finished run exports without training again)")
    registered = keras.saving.get_registered_object(f"tfgenaug>{name}")
    if isinstance(registered, type) and issubclass(registered, ConditionalGANTrainer):
        return registered
    for cls in trainers.TRAINERS.values():
        if cls.__name__ == name:
            return cls
    raise ValueError(f"{path!r} names an unknown trainer_class {name!r}")


def trainer_from_model_dir(model_dir: str, checkpoint: str | None = None):
    """Rebuilds the trainer of a train run and restores its newest checkpoint.

    The trainer is rebuilt from `model_dir/config.json` (`from_config`), compiled
    without XLA so that its optimizers exist, and restored from
    `model_dir/checkpoints/` with `tf.train.Checkpoint(trainer=...)`.

    Args:
        model_dir: str. Output directory of `tfgenaug.bin.train`.
        checkpoint: optional checkpoint prefix (e.g. `.../checkpoints/ckpt-250`);
            defaults to the newest.

    Returns:
        The restored trainer; its step is `int(trainer.g_optimizer.iterations)`.

    Raises:
        FileNotFoundError: naming the path if there is no config or no checkpoint.
        ValueError: naming the path if the config or checkpoint does not fit.

    Example:
    ```python
    trainer = tfgenaug.runs.trainer_from_model_dir("runs/wgan_gp_digits")
    images = trainer.sample([0, 1, 2], seed=0)
    ```
    """
    model_dir = str(model_dir)
    config = read_run_config(model_dir)
    config_path = posixpath.join(model_dir, CONFIG_FILE)
    cls = _trainer_class(config, config_path)
    try:
        trainer = cls.from_config(config["trainer_config"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"cannot rebuild the trainer from {config_path!r}: {error}") from error
    trainer.compile(jit_compile=False)
    if checkpoint is None:
        checkpoint_dir = posixpath.join(model_dir, "checkpoints")
        checkpoint = tf.train.latest_checkpoint(checkpoint_dir)
        if checkpoint is None:
            raise FileNotFoundError(f"no checkpoint in {checkpoint_dir!r}: train first")
    try:
        status = tf.train.Checkpoint(trainer=trainer).restore(checkpoint).expect_partial()
        status.assert_existing_objects_matched()
    except (tf.errors.OpError, AssertionError, ValueError) as error:
        raise ValueError(f"cannot restore the trainer from {checkpoint!r}: {error}") from error
    logging.info("Restored %s from %s", type(trainer).__name__, checkpoint)
    return trainer


def _training_counts(config: dict, num_classes: int) -> list[int]:
    """The images per class the run trained on: as recorded, else derived (older runs)."""
    recorded = config.get("training_counts")
    if recorded is not None:
        return [int(n) for n in recorded]
    count = int((config.get("train_config") or {}).get("count") or 0)
    pool_counts = list((config.get("dataset") or {}).get("train_counts") or [])
    return [count] * num_classes if count else pool_counts


def export_from_model_dir(
    model_dir: str,
    base_dir: str,
    version: int | None = None,
    checkpoint: str | None = None,
) -> str:
    """Exports the generator of a train run with its class names and data summary.

    A run whose product is a classifier (`--trainer=ssgan`: a trainer with
    `classifier_parts()`) exports that classifier instead, as a classifier SavedModel
    (`tfgenaug.savedmodels.export_classifier`: images in [0, 1] to logits,
    probabilities and classes). The metadata's `training_data.train_counts` are the
    training counts the run recorded in `config.json` (its data case after few-shot
    and imbalance); `pool_train_counts` those of the whole train split. Its `quality`
    is the run's judged quality at the exported step (`run_quality`), when measured.

    Args:
        model_dir: str. Output directory of `tfgenaug.bin.train`.
        base_dir: str. TF Serving base directory to export to.
        version: int or `None` (the next version). Defaults to `None`.
        checkpoint: optional checkpoint prefix; defaults to the newest.

    Returns:
        The path of the written version directory.

    Raises:
        FileNotFoundError: naming the path if the run has no config or checkpoint.
        ValueError: as `trainer_from_model_dir` and `tfgenaug.savedmodels.export`.

    Example:
    ```python
    tfgenaug.runs.export_from_model_dir("runs/wgan", "exports/wgan")
    ```
    """
    config = read_run_config(model_dir)
    trainer = trainer_from_model_dir(model_dir, checkpoint=checkpoint)
    dataset = config.get("dataset") or {}
    train_config = config.get("train_config") or {}
    count = int(train_config.get("count") or 0)
    training_data = {
        "dataset": dataset.get("name", train_config.get("dataset")),
        "train_counts": _training_counts(config, trainer.num_classes),
        "pool_train_counts": list(dataset.get("train_counts") or []),
        "count_per_class": count or None,
        "steps": int(trainer.g_optimizer.iterations),
        "model_dir": str(model_dir),
    }
    metadata = {"training_data": training_data, "train_config": train_config}
    quality = run_quality(model_dir, training_data["steps"])
    if quality:
        metadata["quality"] = quality
    if hasattr(trainer, "classifier_parts"):
        return export_classifier(*trainer.classifier_parts(), base_dir, version=version,
                                 class_names=dataset.get("class_names"), metadata=metadata)
    return export(trainer, base_dir, version=version, class_names=dataset.get("class_names"),
                  metadata=metadata)


def read_run_metrics(model_dir: str) -> dict | None:
    """The report a run wrote (`model_dir/metrics.json`, what `train_generator` returned),
    or None when it has none.

    Raises:
        json.JSONDecodeError: the file is not JSON.
    """
    path = posixpath.join(str(model_dir), METRICS_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def previous_report(model_dir: str) -> dict | None:
    """The report a run wrote before, for a rerun to compare with: `read_run_metrics`, or
    None when there is none or it is not a readable JSON object (the rerun then writes
    it again instead of failing on it)."""
    try:
        report = read_run_metrics(model_dir)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return report if isinstance(report, dict) else None


def exported_into(path: str | None, export_dir: str) -> bool:
    """Whether `path`, an export version a run recorded, still exists in `export_dir`
    (a rerun that finds it need not export the same weights again)."""
    return (path is not None and tf.io.gfile.exists(path)
            and os.path.dirname(os.path.normpath(path)) == os.path.normpath(export_dir))


def run_quality(model_dir: str, step: int | None = None) -> dict | None:
    """The judged quality a run measured at `step`: what its export's metadata carries.

    Args:
        model_dir: str. Output directory of `tfgenaug.bin.train`.
        step: int. The step being exported; `None` takes the step the run measured last.

    Returns:
        `{"step", "label_agreement", "label_agreement_per_class", "fid_judge_features",
        "coverage_judge_features", ...}` (the `QUALITY_KEYS` that `metrics.json` holds),
        or None when the run measured nothing or measured another step (a rerun that
        went on training without a judge).
    """
    report = read_run_metrics(model_dir)
    if report is None:
        return None
    if step is not None and report.get("step") != step:
        return None
    quality = {key: report[key] for key in QUALITY_KEYS if key in report}
    return {"step": report.get("step"), **quality} if quality else None
