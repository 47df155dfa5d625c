"""DFG's transfer experiment: pretrain on source classes, then learn imbalanced target classes.

This is what `python -m tfgenaug.bin.train --trainer=dfg` runs; notebooks can call
`run_dfg(DFGConfig(...))` directly, or the steps one by one (`prepare_data`,
`pretrain_or_load_source`, `build_target_trainer`, `evaluate_classifier`).

The protocol (Suh et al. 2020, issue 7):

1. Data. `source_classes` of `source_dataset` (default: the same dataset) are the
   source; `target_classes` of `dataset` the target, relabelled `0..K-1` in the order
   given. The first `minor_class_num` target classes of a shuffle seeded by `seed`
   (`choose_minority_classes`) keep `max(1, int(majority * imbalance_ratio))` of their
   train images (`tfgenaug.data.imbalance`). Only train splits are trained on; the
   target test split is only evaluated.
2. Source. E and C (a split `architecture`) are trained on the source train images
   for `source_steps` steps (`pretrain_source`), and cached in
   `source_dir` (default `model_dir/source`): a rerun, or another method sharing the
   directory, loads them.
3. Target. E and C start from the source weights (the last layer too when source and
   target have the same number of classes; otherwise it starts fresh), then train for
   `steps` steps by `method`:
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
import json
import math
import os
import time
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import jsonio
from tfgenaug import metrics
from tfgenaug.networks import dfg_networks
from tfgenaug.networks.validation import check_positive_int
from tfgenaug.savedmodels import feature_export
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.dfg import AttentionUpdate
from tfgenaug.trainers.dfg import attention_sample
from tfgenaug.trainers.dfg import choose_minority_classes
from tfgenaug.trainers.dfg import pretrain_source
from tfgenaug.trainers.fine_tune import FineTuner

METHODS = ("original", "delta", "dfg")
ARCHITECTURES = ("lenet5", "vgg16", "resnet50")
# DELTA's weight in the "delta" and "dfg" methods (DFG's default, the reference's 0.01).
DELTA_WEIGHT = 0.01
_SPLITS = {
    "lenet5": dfg_networks.lenet5_split,
    "vgg16": dfg_networks.vgg16_split,
    "resnet50": dfg_networks.resnet50_split,
}
_SOURCE_WEIGHTS = "source.weights.h5"
_SOURCE_RECORD = "source.json"


def _check_classes(value, name: str) -> tuple[int, ...]:
    message = (f"{name} must be a non-empty sequence of unique class ids (ints >= 0), "
               f"e.g. (0, 1, 2, 3, 4); got {value!r}")
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise ValueError(message)
    ids = list(value)
    if not ids or len(set(ids)) != len(ids) or any(
        isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0 for k in ids
    ):
        raise ValueError(message)
    return tuple(int(k) for k in ids)


@dataclasses.dataclass
class DFGConfig:
    """What DFG's transfer experiment trains, on what, and where it writes.

    Attributes:
        dataset: "digits" or a TensorFlow Datasets name prepared in `data_dir`: the
            target dataset (and the source one unless `source_dataset` is set).
        data_dir: tfds data directory, or None for tfds' default.
        image_size: side of the square images: 8, 16, 32 or 64 (vgg16 and resnet50
            need at least 32).
        source_classes: class ids of the source dataset that E and C are pretrained on.
        target_classes: class ids of `dataset` learnt after, relabelled 0..K-1 in this
            order. Disjoint from `source_classes` when the source is the same dataset
            and is pretrained on (`source_steps > 0`).
        minor_class_num: how many target classes are made rare (chosen by a seeded
            shuffle), in [1, K].
        imbalance_ratio: each rare class keeps `max(1, int(majority * ratio))` train
            images, in (0, 1]; 0.05 is 1:20.
        method: "original" (fine-tuning), "delta" (fine-tuning with DELTA's Omega) or
            "dfg" (feature generation).
        steps: target train steps to reach (a rerun continues to this number).
        source_steps: source pretraining steps; 0 skips pretraining and uses `weights`
            as the source model (then `weights` is required).
        batch_size: batch size of both stages.
        seed: seed of the minority classes, the data selection, the weights and the
            training randomness.
        model_dir: where checkpoints, the source cache, config.json and metrics.json go.
        jit_compile: compile the train steps with XLA.
        architecture: "lenet5", "vgg16" or "resnet50" (`tfgenaug.networks.dfg_networks`).
        weights: None or the path of a weights file for the architecture's builder
            (nothing is downloaded).
        source_dataset: None for `dataset`, or another dataset name (same image size
            and channels) to pretrain on.
        source_dir: where the pretrained source E and C are cached; None for
            `model_dir/source`. Methods sharing it share one pretraining.
        checkpoint_every: steps between checkpoints and log lines.
        attention_every: DFG only: steps between updates of the class attention.
        export_dir: if set, E+C is exported to `export_dir/classifier/` and (dfg) G to
            `export_dir/feature_generator/` when training ends.
        channels: None to keep the images' channels, or 1 (grayscale) or 3 (RGB) to
            convert source and target images, e.g. 1 for SVHN with an EMNIST source, as
            the reference does.

    Example:
    ```python
    config = DFGConfig(method="dfg", steps=1000, model_dir="/tmp/dfg")
    config.validate()
    ```
    """

    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int = 16
    source_classes: tuple[int, ...] = (0, 1, 2, 3, 4)
    target_classes: tuple[int, ...] = (5, 6, 7, 8, 9)
    minor_class_num: int = 2
    imbalance_ratio: float = 0.05
    method: str = "dfg"
    steps: int = 2000
    source_steps: int = 1000
    batch_size: int = 64
    seed: int = 0
    model_dir: str = "runs/dfg_digits"
    jit_compile: bool = True
    architecture: str = "lenet5"
    weights: str | None = None
    source_dataset: str | None = None
    source_dir: str | None = None
    checkpoint_every: int = 250
    attention_every: int = 500
    export_dir: str | None = None
    channels: int | None = None

    def validate(self) -> None:
        """Raises a ValueError naming the first bad field and its expected form."""
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ValueError(f"dataset must be 'digits' or a tfds name; got {self.dataset!r}")
        if self.source_dataset is not None and (
            not isinstance(self.source_dataset, str) or not self.source_dataset
        ):
            raise ValueError("source_dataset must be None (the same dataset) or a dataset "
                             f"name; got {self.source_dataset!r}")
        if isinstance(self.image_size, bool) or self.image_size not in data.datasets.IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {data.datasets.IMAGE_SIZES}; got "
                             f"{self.image_size!r}")
        source = _check_classes(self.source_classes, "source_classes")
        target = _check_classes(self.target_classes, "target_classes")
        same = self.source_dataset in (None, self.dataset)
        if same and self.source_steps and set(source) & set(target):
            raise ValueError(
                "source_classes and target_classes must be disjoint when the source is the "
                f"target dataset; both hold {sorted(set(source) & set(target))}"
            )
        if isinstance(self.minor_class_num, bool) or not isinstance(self.minor_class_num, int) \
                or not 1 <= self.minor_class_num <= len(target):
            raise ValueError(
                f"minor_class_num must be an int in [1, {len(target)}] (the number of "
                f"target_classes); got {self.minor_class_num!r}"
            )
        ratio = self.imbalance_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
            raise ValueError(f"imbalance_ratio must be a number in (0, 1], e.g. 0.05 for 1:20; "
                             f"got {ratio!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        for name in ("steps", "batch_size", "checkpoint_every", "attention_every"):
            check_positive_int(getattr(self, name), name)
        if isinstance(self.source_steps, bool) or not isinstance(self.source_steps, int) or (
            self.source_steps < 0
        ):
            raise ValueError(f"source_steps must be an integer >= 0; got {self.source_steps!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int; got {self.seed!r}")
        if not isinstance(self.model_dir, str) or not self.model_dir:
            raise ValueError("model_dir must be a non-empty path")
        if not isinstance(self.jit_compile, bool):
            raise ValueError(f"jit_compile must be True or False; got {self.jit_compile!r}")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got "
                             f"{self.architecture!r}")
        if self.architecture != "lenet5" and self.image_size < 32:
            raise ValueError(f"image_size must be at least 32 for architecture="
                             f"{self.architecture!r}; got {self.image_size}")
        if self.weights is not None and not (
            isinstance(self.weights, str | os.PathLike) and os.path.isfile(self.weights)
        ):
            raise ValueError("weights must be None or the path of an existing weights file "
                             f"(nothing is downloaded); got {self.weights!r}")
        if self.channels is not None and (isinstance(self.channels, bool)
                                          or self.channels not in (1, 3)):
            raise ValueError(f"channels must be None, 1 (grayscale) or 3 (RGB); got "
                             f"{self.channels!r}")
        if self.source_steps == 0 and self.weights is None:
            raise ValueError("source_steps=0 skips source pretraining and needs weights (a "
                             "pretrained weights file); got weights=None")


@dataclasses.dataclass
class DFGData:
    """The experiment's data, as `prepare_data` returns it.

    Attributes:
        source_images, source_labels: source train images and labels relabelled 0..S-1.
        target_train: unbatched target train `tf.data.Dataset` (imbalanced, relabelled).
        target_test_images, target_test_labels: the target test split (evaluation only).
        info: the target dataset's `DatasetInfo`.
        minority_classes: the rare target classes (relabelled ids).
        training_counts: train images per target class after the imbalance.
        class_names: names of the K target classes.
    """

    source_images: np.ndarray
    source_labels: np.ndarray
    target_train: tf.data.Dataset
    target_test_images: np.ndarray
    target_test_labels: np.ndarray
    info: data.DatasetInfo
    minority_classes: list[int]
    training_counts: list[int]
    class_names: list[str]


def select_classes(ds: tf.data.Dataset, classes: Sequence[int]) -> tf.data.Dataset:
    """Keeps the `(image, label)` pairs of `classes`, relabelled by their index in `classes`.

    Args:
        ds: unbatched `(image, label)` dataset.
        classes: class ids to keep; `classes[i]` becomes label `i`.

    Returns:
        The filtered, relabelled dataset, in the order of `ds`.

    Example:
    ```python
    target = select_classes(train, [5, 6, 7, 8, 9])  # digit 5 -> 0, ..., 9 -> 4
    ```
    """
    table = tf.constant([int(k) for k in classes], tf.int32)

    def keep(image, label):
        return tf.reduce_any(tf.equal(tf.cast(label, tf.int32), table))

    def relabel(image, label):
        index = tf.argmax(tf.cast(tf.equal(table, tf.cast(label, tf.int32)), tf.int32))
        return image, tf.cast(index, tf.int32)

    return ds.filter(keep).map(relabel)


def _load(name: str, config: DFGConfig, field: str):
    try:
        return data.load(name, image_size=config.image_size, data_dir=config.data_dir)
    except ValueError as error:
        raise ValueError(f"{field}={name!r} cannot be loaded: {error}") from error


def _check_ids(classes, num_classes: int, field: str, name: str) -> None:
    outside = [k for k in classes if k >= num_classes]
    if outside:
        raise ValueError(f"{field} must be class ids of {name!r}, in [0, {num_classes}); got "
                         f"{outside}")


def to_channels(ds: tf.data.Dataset, channels: int) -> tf.data.Dataset:
    """Converts the images of an `(image, label)` dataset to 1 (grayscale) or 3 (RGB) channels.

    The ITU-R 601 luma weights sum to 1, so images in [-1, 1] stay in [-1, 1].
    """
    if ds.element_spec[0].shape[-1] == channels:
        return ds

    def convert(image, label):
        if channels == 1:
            return tf.image.rgb_to_grayscale(image), label
        return tf.image.grayscale_to_rgb(image), label

    return ds.map(convert)


def _with_channels(train, test, info, channels):
    if channels is None or info.image_shape[-1] == channels:
        return train, test, info
    info = dataclasses.replace(info, image_shape=(*info.image_shape[:-1], channels))
    return to_channels(train, channels), to_channels(test, channels), info


def prepare_data(config: DFGConfig) -> DFGData:
    """Loads the source and target data and applies the imbalance protocol.

    Args:
        config: a validated `DFGConfig`.

    Returns:
        A `DFGData`. Only the train splits go into `source_*` and `target_train`.

    Raises:
        ValueError: a dataset cannot be loaded, class ids outside a dataset's classes,
            or source and target images of different shapes.
    """
    train, test, info = _with_channels(*_load(config.dataset, config, "dataset"),
                                       config.channels)
    _check_ids(config.target_classes, info.num_classes, "target_classes", config.dataset)
    source_name = config.source_dataset or config.dataset
    if config.source_dataset in (None, config.dataset):
        source_train, source_info = train, info
    else:
        source_train, _, source_info = _with_channels(
            *_load(config.source_dataset, config, "source_dataset"), config.channels
        )
        if tuple(source_info.image_shape) != tuple(info.image_shape):
            raise ValueError(
                f"source_dataset={source_name!r} has images of shape {source_info.image_shape}"
                f", the target {config.dataset!r} {info.image_shape}: they must match (set "
                "channels=1 or 3 to convert both)"
            )
    _check_ids(config.source_classes, source_info.num_classes, "source_classes", source_name)
    source = select_classes(source_train, config.source_classes)
    if config.source_steps:
        source_images, source_labels = data.as_numpy(source)
    else:  # `weights` is the source model: the source images are not needed
        source_images = np.zeros((0, *info.image_shape), np.float32)
        source_labels = np.zeros((0,), np.int32)
    num_classes = len(config.target_classes)
    minority = choose_minority_classes(num_classes, config.minor_class_num, seed=config.seed)
    target_train = data.imbalance(
        select_classes(train, config.target_classes), minority, config.imbalance_ratio,
        seed=config.seed, num_classes=num_classes,
    )
    test_images, test_labels = data.as_numpy(select_classes(test, config.target_classes))
    return DFGData(
        source_images=source_images,
        source_labels=source_labels,
        target_train=target_train,
        target_test_images=test_images,
        target_test_labels=test_labels,
        info=info,
        minority_classes=minority,
        training_counts=[int(n) for n in data.class_counts(target_train, num_classes)],
        class_names=[info.class_names[k] for k in config.target_classes],
    )


def build_split(
    architecture: str, image_shape: Sequence[int], num_classes: int, weights: str | None = None
) -> tuple[keras.Model, keras.Model]:
    """E and C of `architecture` ("lenet5", "vgg16" or "resnet50") for K classes.

    Raises:
        ValueError: an unknown architecture, or a bad shape or weights file.
    """
    if architecture not in _SPLITS:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}")
    return _SPLITS[architecture](tuple(image_shape), num_classes, weights=weights)


def transfer_weights(source: Sequence[keras.Model], target: Sequence[keras.Model]) -> list[str]:
    """Copies the weights of same-named, same-shaped layers from `source` to `target` models.

    Args:
        source: models to copy from, e.g. `(source_extractor, source_classifier)`.
        target: models to copy into (built by the same builder).

    Returns:
        Names of the target layers with weights that were *not* copied (e.g. the last
        layer when the numbers of classes differ).
    """
    by_name = {}
    for model in source:
        for layer in model.layers:
            by_name[layer.name] = layer
    skipped = []
    for model in target:
        for layer in model.layers:
            if not layer.weights:
                continue
            match = by_name.get(layer.name)
            shapes = [tuple(w.shape) for w in layer.weights]
            if match is None or [tuple(w.shape) for w in match.weights] != shapes:
                skipped.append(layer.name)
                continue
            layer.set_weights(match.get_weights())
    return skipped


def _source_key(config: DFGConfig, image_shape, num_source_classes: int) -> dict:
    return {
        "source_dataset": config.source_dataset or config.dataset,
        "source_classes": list(config.source_classes),
        "image_shape": list(image_shape),
        "num_classes": num_source_classes,
        "architecture": config.architecture,
        "weights": os.path.abspath(config.weights) if config.weights else None,
        "source_steps": config.source_steps,
        "batch_size": config.batch_size,
        "seed": config.seed,
    }


def _source_model(extractor: keras.Model, classifier: keras.Model) -> keras.Model:
    inputs = keras.Input(tuple(extractor.input_shape[1:]), name="images")
    return keras.Model(inputs, classifier(extractor(inputs)), name="source_model")


def pretrain_or_load_source(
    config: DFGConfig, images: np.ndarray, labels: np.ndarray, image_shape: Sequence[int]
) -> tuple[keras.Model, keras.Model, dict]:
    """The source E and C: loaded from the cache, or pretrained and cached.

    The cache is `source_dir` (default `model_dir/source`): `source.weights.h5` and
    `source.json`, which records the settings the weights were trained with; a cache
    with other settings is an error rather than silently reused or overwritten.

    Args:
        config: a validated `DFGConfig`.
        images, labels: source train images and labels (0..S-1).
        image_shape: `(H, W, C)`.

    Returns:
        `(extractor, classifier, record)`, record holding the pretraining's loss,
        accuracy, seconds and `"cached"` (True when loaded).

    Raises:
        ValueError: the cache holds a source model of other settings.
    """
    num_source = len(config.source_classes)
    source_dir = config.source_dir or os.path.join(config.model_dir, "source")
    weights_path = os.path.join(source_dir, _SOURCE_WEIGHTS)
    record_path = os.path.join(source_dir, _SOURCE_RECORD)
    key = _source_key(config, image_shape, num_source)
    extractor, classifier = build_split(config.architecture, image_shape, num_source,
                                        config.weights)
    model = _source_model(extractor, classifier)
    if tf.io.gfile.exists(record_path) and tf.io.gfile.exists(weights_path):
        with tf.io.gfile.GFile(record_path) as f:
            record = json.load(f)
        if record.get("key") != key:
            raise ValueError(
                f"source_dir {source_dir!r} holds a source model trained with other settings "
                f"({record.get('key')}); these need {key}: use another model_dir/source_dir"
            )
        model.load_weights(weights_path)
        logging.info("Loaded the source model from %s", weights_path)
        return extractor, classifier, {**record["result"], "cached": True}
    start = time.perf_counter()
    if config.source_steps:
        result = pretrain_source(extractor, classifier, images, labels,
                                 steps=config.source_steps, batch_size=config.batch_size,
                                 seed=config.seed)
    else:
        result = {"loss": None, "accuracy": None}
    result["seconds"] = time.perf_counter() - start
    result["num_images"] = int(len(labels))
    tf.io.gfile.makedirs(source_dir)
    tmp = os.path.join(source_dir, "tmp-" + _SOURCE_WEIGHTS)
    model.save_weights(tmp)
    tf.io.gfile.rename(tmp, weights_path, overwrite=True)
    jsonio.write_json(record_path, {"key": key, "result": result})  # last: marks the cache valid
    return extractor, classifier, {**result, "cached": False}


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
    if config.method == "dfg":
        trainer = DFG(extractor, classifier, num_classes, minority_classes=minority_classes,
                      delta_weight=DELTA_WEIGHT, attention_every=config.attention_every,
                      seed=config.seed)
    else:
        weight = DELTA_WEIGHT if config.method == "delta" else 0.0
        trainer = FineTuner(extractor, classifier, num_classes, delta_weight=weight)
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
    keras.utils.set_random_seed(config.seed)
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
    # Attention and DELTA's weights are measured on up to 10 train images per class.
    train_images, train_labels = data.as_numpy(prepared.target_train)
    sample_images, sample_labels = attention_sample(train_images, train_labels, 10)

    checkpoint = callbacks.TrainingCheckpoint(
        os.path.join(config.model_dir, "checkpoints"), step_fn=_steps
    )
    checkpoint.set_model(trainer)
    start = checkpoint.restore()
    if start:
        print(f"Resuming from step {start} of {config.steps}", flush=True)
    elif isinstance(trainer, FineTuner):
        trainer.update_delta_weights(sample_images, sample_labels)
    jsonio.write_json(os.path.join(config.model_dir, "config.json"), {
        "dfg_config": dataclasses.asdict(config),
        "trainer_class": type(trainer).__name__,
        "trainer_config": jsonio.to_jsonable(trainer.get_config()),
        "dataset": dataclasses.asdict(prepared.info),
        "target_class_names": prepared.class_names,
        "minority_classes": minority,
        "training_counts": prepared.training_counts,
    })
    if start < config.steps:
        every = config.checkpoint_every
        extra = ([AttentionUpdate(sample_images, sample_labels)]
                 if isinstance(trainer, DFG) else [])
        stream = _training_stream(prepared.target_train, config.batch_size, config.seed, start)
        trainer.fit(
            stream,
            steps_per_epoch=every,
            epochs=math.ceil(config.steps / every),
            initial_epoch=start // every,
            callbacks=[
                *extra,
                callbacks.StopAtStep(config.steps, step_fn=_steps),
                callbacks.StopOnNonFinite(step_fn=_steps),
                checkpoint,
            ],
            verbose=verbose,
        )
    report = evaluate_classifier(trainer.classifier_model(), prepared.target_test_images,
                                 prepared.target_test_labels, num_classes, minority)
    result = {
        "method": config.method,
        "step": _steps(trainer),
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
    jsonio.write_json(os.path.join(config.model_dir, "metrics.json"), result)
    return result


# Fields that must not change between a run and its resumption in the same model_dir.
_RUN_FIELDS = ("dataset", "image_size", "source_classes", "target_classes", "minor_class_num",
               "imbalance_ratio", "method", "batch_size", "seed", "architecture",
               "source_dataset", "channels")


def _check_same_run(config: DFGConfig) -> None:
    """Raises a ValueError if `model_dir` holds a run of other settings."""
    path = os.path.join(config.model_dir, "config.json")
    if not tf.io.gfile.exists(path):
        return
    with tf.io.gfile.GFile(path) as f:
        previous = json.load(f).get("dfg_config", {})
    current = jsonio.to_jsonable(dataclasses.asdict(config))
    changed = [k for k in _RUN_FIELDS if k in previous and previous[k] != current[k]]
    if changed:
        raise ValueError(
            f"model_dir {config.model_dir!r} holds a run with {changed[0]}="
            f"{previous[changed[0]]!r}, not {current[changed[0]]!r}: use another model_dir "
            "(a rerun may only change steps, checkpoint_every and export_dir)"
        )


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
            "steps": _steps(trainer),
            "model_dir": str(config.model_dir),
        },
        "method": config.method,
        "architecture": config.architecture,
    }
    paths = {"classifier": feature_export.export_classifier(
        trainer.extractor, trainer.classifier, os.path.join(config.export_dir, "classifier"),
        class_names=prepared.class_names, metadata=metadata,
    )}
    if isinstance(trainer, DFG):
        paths["feature_generator"] = feature_export.export_feature_generator(
            trainer.generator, os.path.join(config.export_dir, "feature_generator"),
            num_classes=trainer.num_classes, class_names=prepared.class_names,
            metadata=metadata,
        )
    for name, path in paths.items():
        print(f"Exported the {name.replace('_', ' ')} to {path}", flush=True)
    return paths


def _steps(trainer) -> int:
    return int(trainer.train_steps())


def _training_stream(train: tf.data.Dataset, batch_size: int, seed: int, start_step: int):
    """The endless seeded batch stream, positioned at `start_step` for an exact resume."""
    ds = train.cache().shuffle(4096, seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.skip(start_step).prefetch(tf.data.AUTOTUNE)
