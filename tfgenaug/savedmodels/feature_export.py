"""Export of DFG's classifier (E+C) and feature generator (G) as SavedModels for TF Serving.

`tfgenaug.savedmodels.export` exports *image* generators; DFG's generator G makes
feature maps of the extractor E, and its product is the classifier E+C. This module
exports them the same way (`base_dir/<version>/`, written to a hidden directory and
renamed when complete, metadata in `assets/tfgenaug.json`, loadable with TensorFlow
alone):

- `export_classifier(extractor, classifier, base_dir)`, signatures
  - `serving_default(images: float32 [None, H, W, C] in [0, 1]) -> {"logits",
    "probabilities", "classes"}`,
  - `extract_features(images) -> {"features": float32 [None, h, w, c]}`,
  - `classify_features(features) -> {"logits", "probabilities", "classes"}` (e.g. for
    the feature generator's output);
- `export_feature_generator(generator, base_dir, num_classes)`, signatures
  - `serving_default(labels: int32 [None]) -> {"features", "labels"}` with noise
    U(-1, 1) drawn inside,
  - `generate(labels, noise: float32 [None, Z]) -> same`, deterministic.

The metadata names `feature_shape` (and `image_shape`, `num_classes`, `class_names`,
the value ranges, the signatures, the versions) under the formats
`"tfgenaug.classifier"` and `"tfgenaug.feature_generator"`.
"""

import datetime
import json
import posixpath

import keras
import tensorflow as tf
from absl import logging

from tfgenaug.savedmodels.load import CLASSIFIER_FORMAT
from tfgenaug.savedmodels.load import FEATURE_GENERATOR_FORMAT
from tfgenaug.savedmodels.load import METADATA_FILE
from tfgenaug.savedmodels.publish import publish_version
from tfgenaug.version import __version__

FORMAT_VERSION = 1
# Images come in [0, 1] (as the generator exports give them) and E sees [-1, 1].
IMAGE_RANGE = (0.0, 1.0)
NOISE_RANGE = (-1.0, 1.0)
_COMPUTED_KEYS = ("format", "format_version", "num_classes", "class_names", "image_shape",
                  "feature_shape", "noise_dim", "noise_range", "value_range", "signatures",
                  "tfgenaug_version", "tensorflow_version", "exported_at")


def _shape(model: keras.Model, which: str, rank: int, name: str) -> tuple[int, ...]:
    shape = tuple(getattr(model, which))
    if len(shape) != rank or None in shape[1:]:
        raise ValueError(f"{name} must have a known {which.replace('_', ' ')} of rank {rank}; "
                         f"got {shape}")
    return tuple(int(d) for d in shape[1:])


def _class_names(class_names, num_classes: int) -> list[str]:
    if class_names is None:
        return [str(k) for k in range(num_classes)]
    names = [str(name) for name in class_names]
    if len(names) != num_classes:
        raise ValueError(f"class_names must hold num_classes={num_classes} names; got "
                         f"{len(names)}")
    return names


def _extra(metadata) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a dict or None; got {type(metadata).__name__}")
    clashes = sorted(set(metadata) & set(_COMPUTED_KEYS))
    if clashes:
        raise ValueError(f"metadata may not set {clashes}: the export computes them")
    try:
        return json.loads(json.dumps(metadata))
    except (TypeError, ValueError) as error:
        raise ValueError(f"metadata must be JSON-serialisable: {error}") from error


def _common_metadata(fmt: str, num_classes: int, class_names, extra: dict) -> dict:
    return {
        "format": fmt,
        "format_version": FORMAT_VERSION,
        "num_classes": num_classes,
        "class_names": _class_names(class_names, num_classes),
        "tfgenaug_version": __version__,
        "tensorflow_version": tf.__version__,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **extra,
    }


def _spec(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _save(module: tf.Module, signatures: dict, metadata: dict, directory: str) -> None:
    tf.io.gfile.makedirs(directory)
    staged = posixpath.join(directory, METADATA_FILE)
    with tf.io.gfile.GFile(staged, "w") as f:
        json.dump(metadata, f, indent=2)
    module.metadata_file = tf.saved_model.Asset(staged)
    tf.saved_model.save(module, directory, signatures=signatures)
    tf.io.gfile.remove(staged)  # copied to assets/


def _logits_outputs(logits: tf.Tensor) -> dict:
    logits = tf.cast(logits, tf.float32)
    return {"logits": logits, "probabilities": tf.nn.softmax(logits),
            "classes": tf.argmax(logits, axis=-1, output_type=tf.int32)}


def export_classifier(
    extractor: keras.Model,
    classifier: keras.Model,
    base_dir: str,
    version: int | None = None,
    class_names=None,
    metadata: dict | None = None,
) -> str:
    """Exports E then C as an image classifier SavedModel (TF Serving layout).

    Writes `base_dir/<version>/` atomically (see the module docstring for the
    signatures). Images go in as float32 in [0, 1] and are mapped to E's [-1, 1].

    Args:
        extractor: E, images `(N, H, W, C)` in [-1, 1] to feature maps `(N, h, w, c)`.
        classifier: C, feature maps to logits `(N, K)`.
        base_dir: str. The TF Serving base directory (created if missing).
        version: int >= 0, or `None` for the next version (1 in an empty directory).
            Defaults to `None`.
        class_names: optional K class names. Defaults to `"0"`, `"1"`, ...
        metadata: optional JSON-serialisable dict added to the metadata.

    Returns:
        The path of the written version directory.

    Raises:
        ValueError: naming the argument: shapes that do not chain, a bad `version`
            (or one that exists), `class_names` or `metadata`.

    Example:
    ```python
    path = export_classifier(trainer.extractor, trainer.classifier, "exports/classifier")
    logits = tf.saved_model.load(path).signatures["serving_default"](images=x)["logits"]
    ```
    """
    image_shape = _shape(extractor, "input_shape", 4, "extractor")
    feature_shape = _shape(extractor, "output_shape", 4, "extractor")
    if _shape(classifier, "input_shape", 4, "classifier") != feature_shape:
        raise ValueError(f"classifier must take the extractor's feature maps {feature_shape}; "
                         f"got input shape {classifier.input_shape}")
    (num_classes,) = _shape(classifier, "output_shape", 2, "classifier")
    images_spec = tf.TensorSpec([None, *image_shape], tf.float32, name="images")
    features_spec = tf.TensorSpec([None, *feature_shape], tf.float32, name="features")

    def features_of(images):
        def run():
            return tf.cast(extractor(images * 2.0 - 1.0, training=False), tf.float32)

        # An empty batch skips the network (TF's CPU conv gives a batch of 0 a wrong shape).
        return tf.cond(tf.shape(images)[0] > 0, run,
                       lambda: tf.zeros([0, *feature_shape], tf.float32))

    def logits_of(features):
        def run():
            return tf.cast(classifier(features, training=False), tf.float32)

        return tf.cond(tf.shape(features)[0] > 0, run,
                       lambda: tf.zeros([0, num_classes], tf.float32))

    @tf.function(input_signature=[images_spec])
    def serve(images):
        return _logits_outputs(logits_of(features_of(images)))

    @tf.function(input_signature=[images_spec])
    def extract_features(images):
        return {"features": features_of(images)}

    @tf.function(input_signature=[features_spec])
    def classify_features(features):
        return _logits_outputs(logits_of(features))

    module = tf.Module(name="tfgenaug_classifier")
    # The variables, not the Keras models: loading then needs no Keras or tfgenaug.
    module.variables_list = list(extractor.variables) + list(classifier.variables)
    module.serve, module.extract_features = serve, extract_features
    module.classify_features = classify_features
    signatures = {"serving_default": serve.get_concrete_function(),
                  "extract_features": extract_features.get_concrete_function(),
                  "classify_features": classify_features.get_concrete_function()}
    outputs = {"logits": f"float32 [None, {num_classes}]",
               "probabilities": f"float32 [None, {num_classes}]",
               "classes": "int32 [None]"}
    images_doc = f"float32 {_spec(['None', *image_shape])} in [0, 1]"
    features_doc = f"float32 {_spec(['None', *feature_shape])}"
    full = _common_metadata(CLASSIFIER_FORMAT, num_classes, class_names, _extra(metadata))
    full.update({
        "image_shape": list(image_shape),
        "feature_shape": list(feature_shape),
        "value_range": list(IMAGE_RANGE),
        "signatures": {
            "serving_default": {"inputs": {"images": images_doc}, "outputs": outputs},
            "extract_features": {"inputs": {"images": images_doc},
                                 "outputs": {"features": features_doc}},
            "classify_features": {"inputs": {"features": features_doc}, "outputs": outputs},
        },
    })
    path = publish_version(base_dir, version, lambda d: _save(module, signatures, full, d))
    logging.info("Exported the classifier to %s", path)
    return path


def export_feature_generator(
    generator: keras.Model,
    base_dir: str,
    num_classes: int,
    version: int | None = None,
    class_names=None,
    metadata: dict | None = None,
) -> str:
    """Exports DFG's feature generator G as a SavedModel (TF Serving layout).

    Writes `base_dir/<version>/` atomically (see the module docstring for the
    signatures). The noise is U(-1, 1), as G was trained with.

    Args:
        generator: G, `[noise (N, Z), labels int32 (N,)]` to feature maps `(N, h, w, c)`.
        base_dir: str. The TF Serving base directory (created if missing).
        num_classes: int. K; labels outside [0, K) make the signatures fail with an
            `InvalidArgumentError` naming `labels`.
        version: int >= 0, or `None` for the next version. Defaults to `None`.
        class_names: optional K class names.
        metadata: optional JSON-serialisable dict added to the metadata.

    Returns:
        The path of the written version directory.

    Raises:
        ValueError: naming the argument: a generator of the wrong form, a bad
            `num_classes`, `version`, `class_names` or `metadata`.

    Example:
    ```python
    path = export_feature_generator(trainer.generator, "exports/features", num_classes=5)
    features = tf.saved_model.load(path).signatures["serving_default"](
        labels=tf.constant([0, 1]))["features"]
    ```
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int; got {num_classes!r}")
    inputs = getattr(generator, "inputs", None) or []
    if len(inputs) != 2 or len(inputs[0].shape) != 2 or inputs[0].shape[1] is None:
        raise ValueError("generator must be a keras.Model with inputs [noise (N, Z), labels "
                         f"(N,)]; got inputs {[tuple(i.shape) for i in inputs]}")
    noise_dim = int(inputs[0].shape[1])
    feature_shape = _shape(generator, "output_shape", 4, "generator")
    message = f"labels must be class ids in [0, {num_classes}) (num_classes={num_classes})"
    labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
    noise_spec = tf.TensorSpec([None, noise_dim], tf.float32, name="noise")

    def features_for(labels, noise):
        checks = [
            tf.debugging.assert_non_negative(labels, message=message),
            tf.debugging.assert_less(labels, tf.constant(num_classes, tf.int32), message=message),
            tf.debugging.assert_equal(
                tf.shape(noise)[0], tf.shape(labels)[0],
                message="noise must have one row per label: shape (len(labels), noise_dim)",
            ),
        ]
        with tf.control_dependencies(checks):
            labels = tf.identity(labels)

        def run():
            return tf.cast(generator([noise, labels], training=False), tf.float32)

        features = tf.cond(tf.size(labels) > 0, run,
                           lambda: tf.zeros([0, *feature_shape], tf.float32))
        return {"features": features, "labels": labels}

    @tf.function(input_signature=[labels_spec])
    def serve(labels):
        shape = tf.stack([tf.shape(labels)[0], noise_dim])
        # A raw op with seed = seed2 = 0: seeded from the OS in every process (see
        # tfgenaug.savedmodels.export).
        uniform = tf.raw_ops.RandomUniform(shape=shape, dtype=tf.float32, seed=0, seed2=0)
        return features_for(labels, 2.0 * uniform - 1.0)

    @tf.function(input_signature=[labels_spec, noise_spec])
    def generate(labels, noise):
        return features_for(labels, noise)

    module = tf.Module(name="tfgenaug_feature_generator")
    module.generator_variables = list(generator.variables)
    module.serve, module.generate = serve, generate
    signatures = {"serving_default": serve.get_concrete_function(),
                  "generate": generate.get_concrete_function()}
    features_doc = f"float32 {_spec(['None', *feature_shape])}"
    outputs = {"features": features_doc, "labels": "int32 [None]"}
    full = _common_metadata(FEATURE_GENERATOR_FORMAT, num_classes, class_names,
                            _extra(metadata))
    full.update({
        "feature_shape": list(feature_shape),
        "noise_dim": noise_dim,
        "noise_range": list(NOISE_RANGE),
        "signatures": {
            "serving_default": {"inputs": {"labels": "int32 [None]"}, "outputs": outputs},
            "generate": {"inputs": {"labels": "int32 [None]",
                                    "noise": f"float32 [None, {noise_dim}]"},
                         "outputs": outputs},
        },
    })
    path = publish_version(base_dir, version, lambda d: _save(module, signatures, full, d))
    logging.info("Exported the feature generator to %s", path)
    return path
