"""Export of class-conditional generators as SavedModels in TF Serving's layout.

`export` writes `base_dir/<version>/` with its signatures (`serving_default`, which
draws the noise inside, `generate`, which takes it, `truncated` for normal noise, and
`transform` for an image-conditioned generator) and the metadata file
`assets/tfgenaug.json`. Exporting from the output directory of a training run is
`tfgenaug.runs.export_from_model_dir`.
"""

import dataclasses
import datetime
import json
import posixpath

import keras
import tensorflow as tf
from absl import logging

from tfgenaug import jsonio
from tfgenaug.savedmodels.load import FORMAT
from tfgenaug.savedmodels.load import FORMAT_VERSION
from tfgenaug.savedmodels.load import METADATA_FILE
from tfgenaug.savedmodels.publish import check_version
from tfgenaug.savedmodels.publish import publish_version
from tfgenaug.trainers.base import ConditionalGANTrainer
from tfgenaug.trainers.noise import NOISE_DISTRIBUTIONS
from tfgenaug.trainers.noise import normal_from_uniform
from tfgenaug.version import __version__

VALUE_RANGE = (0.0, 1.0)
# Keys `export` computes; `metadata` may not override them.
_COMPUTED_KEYS = ("format", "format_version", "tfgenaug_version", "tensorflow_version",
                  "image_shape", "noise_dim", "value_range", "trainer", "trainer_config",
                  "signatures", "exported_at")


@dataclasses.dataclass
class _Description:
    """What is exported: the generator and everything the metadata says about it."""

    generator: keras.Model
    num_classes: int
    noise_dim: int
    noise_distribution: str
    image_shape: tuple[int, int, int]
    trainer: str | None
    trainer_config: dict | None
    # An image-conditioned trainer's `[images, noise] -> images` generator (DAGAN).
    transformer: keras.Model | None = None


def _describe(trainer_or_generator, num_classes, noise_distribution) -> _Description:
    """Reads K, Z, the noise distribution and the image shape of what is exported."""
    if isinstance(trainer_or_generator, ConditionalGANTrainer):
        trainer = trainer_or_generator
        for name, given, own in (("num_classes", num_classes, trainer.num_classes),
                                 ("noise_distribution", noise_distribution,
                                  trainer.noise_distribution)):
            if given is not None and given != own:
                raise ValueError(f"{name}={given!r} disagrees with the trainer's {name}={own!r}")
        return _Description(
            generator=trainer.label_generator,
            num_classes=trainer.num_classes,
            noise_dim=trainer.noise_dim,
            noise_distribution=trainer.noise_distribution,
            image_shape=tuple(int(d) for d in trainer.image_shape),
            trainer=type(trainer).__name__,
            trainer_config=jsonio.to_jsonable(trainer.get_config()),
            transformer=trainer.sampling_generator if trainer.image_conditioned else None,
        )
    if not isinstance(trainer_or_generator, keras.Model):
        raise ValueError(
            "trainer_or_generator must be a tfgenaug trainer or a generator keras.Model; "
            f"got {type(trainer_or_generator).__name__}"
        )
    model = trainer_or_generator
    inputs = getattr(model, "inputs", None) or []
    noise_shape = tuple(inputs[0].shape) if len(inputs) == 2 else ()
    labels_shape = tuple(inputs[1].shape) if len(inputs) == 2 else ()
    output_shape = tuple(model.output_shape) if len(inputs) == 2 else ()
    if (len(noise_shape) != 2 or noise_shape[1] is None or len(labels_shape) != 1
            or len(output_shape) != 4 or None in output_shape[1:]):
        raise ValueError(
            "trainer_or_generator must be a generator keras.Model with inputs "
            "[noise (N, Z), labels (N,)] and output images (N, H, W, C) of known size; got "
            f"inputs {[tuple(i.shape) for i in inputs]} and output "
            f"{output_shape or getattr(model, 'output_shape', None)}"
        )
    if num_classes is None:
        raise ValueError(
            "num_classes is required to export a bare generator keras.Model (its labels "
            "input does not tell K): pass num_classes=K or metadata={'num_classes': K}"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int; got {num_classes!r}")
    noise_distribution = noise_distribution or "normal"
    if noise_distribution not in NOISE_DISTRIBUTIONS:
        raise ValueError(
            f"noise_distribution must be one of {NOISE_DISTRIBUTIONS}; got {noise_distribution!r}"
        )
    return _Description(
        generator=model,
        num_classes=num_classes,
        noise_dim=int(noise_shape[1]),
        noise_distribution=noise_distribution,
        image_shape=tuple(int(d) for d in output_shape[1:]),
        trainer=None,
        trainer_config=None,
    )


def _build_metadata(description: _Description, class_names, extra: dict) -> dict:
    if class_names is None:
        class_names = [str(k) for k in range(description.num_classes)]
    class_names = [str(name) for name in class_names]
    if len(class_names) != description.num_classes:
        raise ValueError(
            f"class_names must hold num_classes={description.num_classes} names; "
            f"got {len(class_names)}"
        )
    shape = list(description.image_shape)
    tensors = {
        "labels": "int32 [None]",
        "noise": f"float32 [None, {description.noise_dim}]",
        "images": f"float32 [None, {', '.join(map(str, shape))}] in [0, 1]",
    }
    signatures = {
        "serving_default": {"inputs": {"labels": tensors["labels"]},
                            "outputs": {"images": tensors["images"],
                                        "labels": tensors["labels"]}},
        "generate": {"inputs": {"labels": tensors["labels"], "noise": tensors["noise"]},
                     "outputs": {"images": tensors["images"], "labels": tensors["labels"]}},
    }
    if description.noise_distribution == "normal":
        signatures["truncated"] = {
            "inputs": {"labels": tensors["labels"], "truncation": "float32 [] > 0"},
            "outputs": {"images": tensors["images"], "labels": tensors["labels"]}}
    if description.transformer is not None:
        signatures["transform"] = {
            "inputs": {"images": tensors["images"], "noise": tensors["noise"]},
            "outputs": {"images": tensors["images"]}}
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "num_classes": description.num_classes,
        "class_names": class_names,
        "image_shape": shape,
        "noise_dim": description.noise_dim,
        "noise_distribution": description.noise_distribution,
        "value_range": list(VALUE_RANGE),
        "signatures": signatures,
        "image_conditioned": description.transformer is not None,
        "trainer": description.trainer,
        "tfgenaug_version": __version__,
        "tensorflow_version": tf.__version__,
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    metadata.update(extra)
    # Last, being long: it holds the serialised networks.
    metadata["trainer_config"] = description.trainer_config
    return metadata


def _split_metadata(metadata, class_names, num_classes, noise_distribution):
    """Takes num_classes / noise_distribution / class_names out of `metadata`."""
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a dict or None; got {type(metadata).__name__}")
    extra = dict(metadata or {})
    clashes = sorted(set(extra) & set(_COMPUTED_KEYS))
    if clashes:
        raise ValueError(f"metadata may not set {clashes}: export computes them")
    resolved = []
    for name, value in (("num_classes", num_classes), ("noise_distribution", noise_distribution),
                        ("class_names", class_names)):
        if name in extra:
            from_metadata = extra.pop(name)
            if value is not None and from_metadata != value:
                raise ValueError(
                    f"{name} is given twice with different values: {value!r} and "
                    f"metadata[{name!r}]={from_metadata!r}"
                )
            value = from_metadata
        resolved.append(value)
    try:
        extra = json.loads(json.dumps(extra))
    except (TypeError, ValueError) as error:
        raise ValueError(f"metadata must be JSON-serialisable: {error}") from error
    return extra, *resolved


def _serving_module(description: _Description, metadata_file: str):
    """A `tf.Module` holding the generator's variables, the metadata asset and signatures."""
    generator = description.generator
    num_classes = description.num_classes
    noise_dim = description.noise_dim
    noise_dtype = generator.inputs[0].dtype if getattr(generator, "inputs", None) else "float32"
    message = f"labels must be class ids in [0, {num_classes}) (num_classes={num_classes})"

    def images_for(labels, noise):
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

        def run_generator():
            images = generator([tf.cast(noise, noise_dtype), labels], training=False)
            return tf.cast(images, tf.float32)

        # An empty batch skips the generator: TF 2.21's CPU conv2d gives a batch of 0
        # the shape of its *input* (e.g. (0, 8, 8, 4) for (0, 8, 8, 1) images).
        images = tf.cond(tf.size(labels) > 0, run_generator,
                         lambda: tf.zeros([0, *description.image_shape], tf.float32))
        images = (images + 1.0) * 0.5
        return {"images": tf.clip_by_value(images, 0.0, 1.0), "labels": labels}

    labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
    noise_spec = tf.TensorSpec([None, noise_dim], tf.float32, name="noise")

    @tf.function(input_signature=[labels_spec])
    def serve(labels):
        shape = tf.stack([tf.shape(labels)[0], noise_dim])
        # Raw ops with seed = seed2 = 0: seeded from the OS in each process. Through
        # tf.random.normal a global seed set at export time would be baked in, and every
        # process serving the model would draw the same noise sequence.
        if description.noise_distribution == "uniform":
            noise = tf.raw_ops.RandomUniform(shape=shape, dtype=tf.float32, seed=0, seed2=0)
        else:
            noise = tf.raw_ops.RandomStandardNormal(shape=shape, dtype=tf.float32, seed=0,
                                                    seed2=0)
        return images_for(labels, noise)

    @tf.function(input_signature=[labels_spec, noise_spec])
    def generate(labels, noise):
        return images_for(labels, noise)

    @tf.function(input_signature=[labels_spec, tf.TensorSpec([], tf.float32,
                                                             name="truncation")])
    def truncated(labels, truncation):
        check = tf.debugging.assert_positive(
            truncation, message="truncation must be a number > 0")
        with tf.control_dependencies([check]):
            shape = tf.stack([tf.shape(labels)[0], noise_dim])
        uniform = tf.raw_ops.RandomUniform(shape=shape, dtype=tf.float32, seed=0, seed2=0)
        return images_for(labels, normal_from_uniform(uniform, truncation))

    module = tf.Module(name="tfgenaug_generator")
    # The variables themselves, not the Keras model: the SavedModel then needs no
    # Keras (or tfgenaug) class to load.
    module.generator_variables = list(generator.variables)
    module.metadata_file = tf.saved_model.Asset(metadata_file)
    module.serve = serve
    module.generate = generate
    signatures = {
        "serving_default": serve.get_concrete_function(),
        "generate": generate.get_concrete_function(),
    }
    if description.noise_distribution == "normal":
        module.truncated = truncated
        signatures["truncated"] = truncated.get_concrete_function()
    if description.transformer is not None:
        module.transform = _transform_function(description, noise_spec)
        signatures["transform"] = module.transform.get_concrete_function()
    return module, signatures


def _transform_function(description: _Description, noise_spec: tf.TensorSpec):
    """The `transform(images, noise)` signature of an image-conditioned generator."""
    transformer = description.transformer
    shape = description.image_shape
    images_spec = tf.TensorSpec([None, *shape], tf.float32, name="images")

    @tf.function(input_signature=[images_spec, noise_spec])
    def transform(images, noise):
        check = tf.debugging.assert_equal(
            tf.shape(noise)[0], tf.shape(images)[0],
            message="noise must have one row per image: shape (len(images), noise_dim)")
        with tf.control_dependencies([check]):
            sources = tf.identity(images) * 2.0 - 1.0  # [0, 1] onto the trainers' [-1, 1]

        def run_transformer():
            return tf.cast(transformer([sources, noise], training=False), tf.float32)

        made = tf.cond(tf.shape(images)[0] > 0, run_transformer,
                       lambda: tf.zeros([0, *shape], tf.float32))
        return {"images": tf.clip_by_value((made + 1.0) * 0.5, 0.0, 1.0)}

    return transform


def _write_version(description: _Description, metadata: dict, directory: str) -> None:
    """Writes the SavedModel and its metadata into `directory` (not yet published)."""
    tf.io.gfile.makedirs(directory)
    staged = posixpath.join(directory, METADATA_FILE)
    with tf.io.gfile.GFile(staged, "w") as f:
        json.dump(metadata, f, indent=2)
    module, signatures = _serving_module(description, staged)
    tf.saved_model.save(module, directory, signatures=signatures)
    # The asset was copied to assets/; the staging copy goes.
    tf.io.gfile.remove(staged)


def export(
    trainer_or_generator,
    base_dir: str,
    version: int | None = None,
    class_names=None,
    metadata: dict | None = None,
    *,
    num_classes: int | None = None,
    noise_distribution: str | None = None,
) -> str:
    """Exports a class-conditional generator as a SavedModel in TF Serving's layout.

    Writes `base_dir/<version>/` atomically: everything goes to a hidden directory
    `base_dir/.tmp-<version>-<random>` first, which is renamed to the version when
    complete, so a killed export leaves no half-written version (only, at worst, a
    hidden directory that loaders and TF Serving ignore). On a local disk the rename
    is atomic; on object stores (`gs://`) it is a copy.

    The SavedModel needs only TensorFlow to load. Signatures:

    - `serving_default(labels: int32 [None]) -> {"images": float32 [None, H, W, C] in
      [0, 1], "labels": int32 [None]}`, with N(0, 1) or U[0, 1) noise drawn inside
      (the generator's noise distribution);
    - `generate(labels: int32 [None], noise: float32 [None, Z]) -> same`, deterministic;
    - for normal noise, `truncated(labels: int32 [None], truncation: float32 []) -> same`,
      the noise drawn inside with `|z| <= truncation` (the truncation trick);
    - for an image-conditioned trainer (DAGAN, after `set_sources`) also
      `transform(images: float32 [None, H, W, C] in [0, 1], noise: float32 [None, Z])
      -> {"images"}`, one new image per given image; its label signatures transform
      the stored source images of each label (metadata `image_conditioned: true`).

    Labels outside [0, K) make both fail with an `InvalidArgumentError` naming
    `labels` and the range. `assets/tfgenaug.json` holds num_classes, class_names,
    image_shape, noise_dim, noise_distribution, value_range, the signatures, the
    trainer's class and config, the tfgenaug and TensorFlow versions, and the
    entries of `metadata`.

    Args:
        trainer_or_generator: a tfgenaug trainer, or a generator `keras.Model`
            mapping `[noise (N, Z), labels int32 (N,)]` to images in [-1, 1].
        base_dir: str. The TF Serving base directory (created if missing).
        version: int >= 0, or `None` for one more than the largest existing version
            (1 in an empty directory). Defaults to `None`.
        class_names: optional list of the K class names. Defaults to `"0"`, `"1"`, ...
        metadata: optional dict of JSON-serialisable entries added to the metadata,
            e.g. `{"training_data": {"dataset": "digits", "train_counts": [...]}}`.
            It may also carry `num_classes`, `noise_distribution` and `class_names`.
        num_classes: int. Number of classes K; required for a bare generator (or in
            `metadata`), checked against a trainer's.
        noise_distribution: `"normal"` or `"uniform"`, the noise the generator was
            trained with; a bare generator defaults to `"normal"`.

    Returns:
        The path of the written version directory.

    Raises:
        ValueError: naming `version` if that version exists; naming
            `trainer_or_generator`, `num_classes`, `noise_distribution`,
            `class_names` or `metadata` when one is unusable.

    Example:
    ```python
    path = tfgenaug.savedmodels.export(trainer, "exports/wgan",
                                       class_names=info.class_names)
    # exports/wgan/1; a second export writes exports/wgan/2
    ```
    """
    if version is not None:
        check_version(version)  # before any work
    extra, num_classes, noise_distribution, class_names = _split_metadata(
        metadata, class_names, num_classes, noise_distribution
    )
    description = _describe(trainer_or_generator, num_classes, noise_distribution)
    full_metadata = _build_metadata(description, class_names, extra)

    final_dir = publish_version(
        base_dir, version, lambda directory: _write_version(description, full_metadata,
                                                            directory)
    )
    logging.info("Exported the generator to %s", final_dir)
    return final_dir
