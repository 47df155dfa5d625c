"""DFG's source model: the split networks, weight transfer and the cached pretraining."""

import json
import os
import time
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgenaug import jsonio
from tfgenaug.networks import dfg_networks
from tfgenaug.runs.dfg_config import ARCHITECTURES
from tfgenaug.runs.dfg_config import DFGConfig
from tfgenaug.trainers.dfg_protocol import pretrain_source

_SPLITS = {
    "lenet5": dfg_networks.lenet5_split,
    "vgg16": dfg_networks.vgg16_split,
    "resnet50": dfg_networks.resnet50_split,
}
_SOURCE_WEIGHTS = "source.weights.h5"
_SOURCE_RECORD = "source.json"


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
