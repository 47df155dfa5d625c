"""DFG's transfer run: pretrain on source classes, then learn imbalanced target classes.

This is what `python -m tfgenaug.bin.train --trainer=dfg` runs; notebooks can call
`run_dfg(DFGConfig(...))` directly, or the steps one by one (`prepare_data`,
`pretrain_or_load_source`, `build_target_trainer`, `evaluate_classifier`).

The protocol (Suh et al. 2020):

1. Data. `source_classes` of `source_dataset` (default: the same dataset) are the
   source; `target_classes` of `dataset` the target, relabelled `0..K-1` in the order
   given. The first `minor_class_num` target classes of a shuffle seeded by `seed`
   (`choose_minority_classes`) keep `max(1, int(majority * imbalance_ratio))` of their
   train images (the data case `DFGConfig.data_case`, selected by
   `tfgenaug.data.select`). Only train splits are trained on; the target test split is
   only evaluated.
2. Source. E and C (a split `architecture`) are trained on the source train images
   for `source_steps` steps (`pretrain_source`), and cached in
   `source_dir` (default `model_dir/source`): a rerun, or another method sharing the
   directory, loads them.
3. Target. E and C start from the source weights (the last layer too when source and
   target have the same number of classes; otherwise it starts fresh), then train for
   `steps` steps by `method` (a `Method` record in `METHOD_RECORDS`):
   - `"original"`: fine-tuning, cross-entropy only (`FineTuner(delta_weight=0)`);
   - `"delta"`: fine-tuning with DELTA's Omega toward the source
     (`FineTuner(delta_weight=0.01)`);
   - `"dfg"`: the `DFG` trainer (feature generation, its C updates on generated
     minority features, and the same Omega).
   Checkpoints go to `model_dir/checkpoints` every `checkpoint_every` steps; rerunning
   resumes from the newest one, on the same batch stream.
4. Report. Accuracy, balanced accuracy, minority recall and per-class recall on the
   target test split, in `model_dir/metrics.json` (and `config.json`); with
   `export_dir`, E+C is exported as a classifier SavedModel to
   `export_dir/classifier/<version>/` and (DFG only) G as a feature generator to
   `export_dir/feature_generator/<version>/` (`tfgenaug.savedmodels.feature_export`).
"""


import dataclasses
import os
import time
from collections.abc import Callable
from collections.abc import Sequence

import keras
import numpy as np
from absl import logging

from tfgenaug import data
from tfgenaug import jsonio
from tfgenaug import metrics
from tfgenaug.runs import fit_loop
from tfgenaug.runs import model_dir
from tfgenaug.runs import same_run
from tfgenaug.runs.dfg_config import DFGConfig
from tfgenaug.runs.dfg_data import DFGData
from tfgenaug.runs.dfg_data import prepare_data
from tfgenaug.runs.dfg_source import build_split
from tfgenaug.runs.dfg_source import pretrain_or_load_source
from tfgenaug.runs.dfg_source import transfer_weights
from tfgenaug.savedmodels import feature_export
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.dfg_callbacks import AttentionUpdate
from tfgenaug.trainers.dfg_protocol import attention_sample
from tfgenaug.trainers.fine_tune import FineTuner

# DELTA's weight in the "delta" and "dfg" methods (DFG's default, the reference's 0.01).
DELTA_WEIGHT = 0.01
# Attention and DELTA's weights are measured on up to this many train images per class.
SAMPLE_PER_CLASS = 10


def _fine_tuner(delta_weight: float):
    def build(extractor, classifier, num_classes, minority_classes, config):
        return FineTuner(extractor, classifier, num_classes, delta_weight=delta_weight)

    return build


def _dfg(extractor, classifier, num_classes, minority_classes, config):
    return DFG(extractor, classifier, num_classes, minority_classes=minority_classes,
               delta_weight=DELTA_WEIGHT, attention_every=config.attention_every,
               seed=config.seed)


def _update_delta_weights(trainer, images, labels) -> None:
    trainer.update_delta_weights(images, labels)


def _attention_update(images, labels) -> list[keras.callbacks.Callback]:
    return [AttentionUpdate(images, labels)]


@dataclasses.dataclass(frozen=True)
class Method:
    """What one `DFGConfig.method` trains with.

    Attributes:
        build: `(extractor, classifier, num_classes, minority_classes, config)` ->
            the (uncompiled) trainer.
        on_fresh_start: `(trainer, images, labels)`, called on a run with no checkpoint
            with the attention sample, or None.
        callbacks: `(images, labels)` -> callbacks run before the stop/checkpoint ones.
        exports_feature_generator: `export_models` also exports the trainer's G.
    """

    build: Callable
    on_fresh_start: Callable | None = None
    callbacks: Callable = lambda images, labels: []
    exports_feature_generator: bool = False


METHOD_RECORDS = {
    "original": Method(build=_fine_tuner(0.0), on_fresh_start=_update_delta_weights),
    "delta": Method(build=_fine_tuner(DELTA_WEIGHT), on_fresh_start=_update_delta_weights),
    "dfg": Method(build=_dfg, callbacks=_attention_update, exports_feature_generator=True),
}


def build_target_trainer(
    config: DFGConfig, source_extractor: keras.Model, source_classifier: keras.Model,
    image_shape: Sequence[int], minority_classes: Sequence[int],
) -> DFG | FineTuner:
    """E and C initialised from the source, wrapped in the trainer of `config.method`.

    Returns:
        A compiled `FineTuner` ("original": delta_weight 0; "delta": 0.01) or `DFG`.
    """
    num_classes = len(config.target_classes)
    extractor, classifier = build_split(config.architecture, image_shape, num_classes)
    skipped = transfer_weights([source_extractor, source_classifier], [extractor, classifier])
    if skipped:
        logging.info("Layers not initialised from the source: %s", skipped)
    trainer = METHOD_RECORDS[config.method].build(extractor, classifier, num_classes,
                                                  minority_classes, config)
    trainer.compile(jit_compile=config.jit_compile)
    return trainer


def evaluate_classifier(classifier: keras.Model, images: np.ndarray, labels: np.ndarray,
                        num_classes: int, minority_classes: Sequence[int]) -> dict:
    """Accuracy, balanced accuracy, minority recall and per-class recall of a classifier.

    Returns:
        `tfgenaug.metrics.classification_report(...)` plus `"per_class_recall"`.
    """
    logits = classifier.predict(images, batch_size=256, verbose=0)
    report = metrics.classification_report(labels, np.argmax(logits, axis=-1), num_classes,
                                           minority_classes=minority_classes)
    report["per_class_recall"] = report["recall"]
    return report


def run_dfg(config: DFGConfig, verbose="auto") -> dict:
    """Runs (or resumes) DFG's transfer experiment; see the module docstring.

    Args:
        config: a `DFGConfig`.
        verbose: Keras `fit` verbosity. Defaults to `"auto"`.

    Returns:
        The dict written to `model_dir/metrics.json`: `accuracy`, `balanced_accuracy`,
        `minority_recall`, `per_class_recall`, the confusion matrix, the minority
        classes (relabelled and original ids), the train counts, the step, the source
        record, and `export_paths` when exported.

    Raises:
        ValueError: a bad field of `config` (naming it), data that cannot serve, a
            source cache of other settings, or a `model_dir` holding a run of other
            settings.
        callbacks.NonFiniteLossError: a loss became NaN or infinite.

    Example:
    ```python
    result = run_dfg(DFGConfig(method="delta", steps=500, model_dir="/tmp/delta"))
    print(result["accuracy"], result["minority_recall"])
    ```
    """
    config.validate()
    _check_same_run(config)
    start_time = time.perf_counter()
    fit_loop.begin_run(config.seed)
    prepared = prepare_data(config)
    image_shape = tuple(int(d) for d in prepared.info.image_shape)
    num_classes = len(config.target_classes)
    minority = prepared.minority_classes
    print(f"DFG ({config.method}): target train counts {prepared.training_counts}, minority "
          f"classes {[config.target_classes[k] for k in minority]}", flush=True)

    source_extractor, source_classifier, source_record = pretrain_or_load_source(
        config, prepared.source_images, prepared.source_labels, image_shape
    )
    trainer = build_target_trainer(config, source_extractor, source_classifier, image_shape,
                                   minority)
    method = METHOD_RECORDS[config.method]
    train_images, train_labels = data.as_numpy(prepared.target_train)
    sample = attention_sample(train_images, train_labels, SAMPLE_PER_CLASS)
    plan = fit_loop.FitPlan(
        train=prepared.target_train, batch_size=config.batch_size, seed=config.seed,
        steps=config.steps, checkpoint_every=config.checkpoint_every,
        out_dir=config.model_dir, config_key="dfg_config", config=config,
        run_config={
            "dataset": prepared.info,
            "target_class_names": prepared.class_names,
            "minority_classes": minority,
            "training_counts": prepared.training_counts,
        },
        callbacks_before=method.callbacks(*sample),
        on_fresh_start=(None if method.on_fresh_start is None
                        else lambda fresh: method.on_fresh_start(fresh, *sample)),
    )
    metrics_path = os.path.join(config.model_dir, model_dir.METRICS_FILE)
    before = model_dir.previous_report(config.model_dir)
    step = fit_loop.fit_run(trainer, plan, verbose=verbose)
    if _up_to_date(before, step, config):
        exported = "".join(f", {path}" for path in before.get("export_paths", {}).values()
                           if config.export_dir)
        print(f"DFG ({config.method}) reached step {step} before and was evaluated "
              f"{'and exported ' if exported else ''}then: {metrics_path}{exported}",
              flush=True)
        return before
    report = evaluate_classifier(trainer.classifier_model(), prepared.target_test_images,
                                 prepared.target_test_labels, num_classes, minority)
    result = {
        "method": config.method,
        "step": step,
        "accuracy": report["accuracy"],
        "balanced_accuracy": report["balanced_accuracy"],
        "minority_recall": report["minority_recall"],
        "per_class_recall": report["per_class_recall"],
        "macro_f1": report["macro_f1"],
        "confusion_matrix": report["confusion_matrix"],
        "minority_classes": minority,
        "minority_original_classes": [config.target_classes[k] for k in minority],
        "target_classes": list(config.target_classes),
        "training_counts": prepared.training_counts,
        "test_counts": report["support"],
        "source": source_record,
        "seconds": time.perf_counter() - start_time,
    }
    print(f"DFG ({config.method}) step {result['step']}: accuracy {result['accuracy']:.4f}, "
          f"balanced accuracy {result['balanced_accuracy']:.4f}, minority recall "
          f"{result['minority_recall']:.4f}", flush=True)
    if config.export_dir:
        result["export_paths"] = export_models(trainer, config, prepared, image_shape)
    jsonio.write_json(metrics_path, result)
    return result


def _up_to_date(before: dict | None, step: int, config: DFGConfig) -> bool:
    """Whether the report written `before` is what this call would write: the same method
    at the same step (nothing trained since), and its exports still in
    `config.export_dir` if it is set (rerunning a finished command wrote a duplicate
    export version of the same weights each time)."""
    if before is None or (before.get("method"), before.get("step")) != (config.method, step):
        return False
    if not config.export_dir:
        return True
    names = ["classifier"]
    if METHOD_RECORDS[config.method].exports_feature_generator:
        names.append("feature_generator")
    paths = before.get("export_paths") or {}
    return all(model_dir.exported_into(paths.get(name), os.path.join(config.export_dir, name))
               for name in names)


# Fields that must not change between a run and its resumption in the same model_dir:
# the data, the method, the networks and the stream. May change: steps, checkpoint_every,
# attention_every, export_dir, jit_compile, data_dir, and where the source is cached.
_RUN_FIELDS = ("dataset", "image_size", "source_classes", "target_classes", "minor_class_num",
               "imbalance_ratio", "method", "batch_size", "seed", "architecture",
               "source_dataset", "channels")


def _check_same_run(config: DFGConfig) -> None:
    """Raises a ValueError naming every `_RUN_FIELDS` field in which `model_dir`'s
    recorded run differs from `config`."""
    recorded = model_dir.recorded_run_config(config.model_dir)
    if recorded is None:
        return
    if "dfg_config" not in recorded:
        raise ValueError(
            f"cannot resume the run in {config.model_dir}: it trains a "
            f"{recorded['trainer_class']} generator, not DFG's transfer experiment. Choose "
            "another model_dir for a new run")
    current = jsonio.to_jsonable(dataclasses.asdict(config))
    differences = same_run.setting_differences(
        {k: v for k, v in recorded["dfg_config"].items() if k in _RUN_FIELDS},
        {k: current[k] for k in _RUN_FIELDS})
    if differences:
        raise ValueError(
            f"cannot resume the DFG run in {config.model_dir}: it was begun with other "
            f"settings ({'; '.join(differences)}). Resume it with the settings it began "
            "with (a rerun may change steps, checkpoint_every, attention_every, export_dir, "
            "jit_compile and data_dir), or choose another model_dir for a new run")


def export_models(trainer: DFG | FineTuner, config: DFGConfig, prepared: DFGData,
                  image_shape: Sequence[int]) -> dict[str, str]:
    """Exports E+C as a classifier and (DFG) G as a feature generator under `export_dir`.

    Returns:
        `{"classifier": path}` plus `"feature_generator"` for DFG.
    """
    metadata = {
        "training_data": {
            "dataset": config.dataset,
            "target_classes": list(config.target_classes),
            "source_dataset": config.source_dataset or config.dataset,
            "source_classes": list(config.source_classes),
            "train_counts": prepared.training_counts,
            "minority_classes": prepared.minority_classes,
            "steps": fit_loop.training_steps(trainer),
            "model_dir": str(config.model_dir),
        },
        "method": config.method,
        "architecture": config.architecture,
    }
    paths = {"classifier": feature_export.export_classifier(
        trainer.extractor, trainer.classifier, os.path.join(config.export_dir, "classifier"),
        class_names=prepared.class_names, metadata=metadata,
    )}
    if METHOD_RECORDS[config.method].exports_feature_generator:
        paths["feature_generator"] = feature_export.export_feature_generator(
            trainer.generator, os.path.join(config.export_dir, "feature_generator"),
            num_classes=trainer.num_classes, class_names=prepared.class_names,
            metadata=metadata,
        )
    for name, path in paths.items():
        print(f"Exported the {name.replace('_', ' ')} to {path}", flush=True)
    return paths
