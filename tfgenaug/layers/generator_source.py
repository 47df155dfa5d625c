"""Resolves what a layer is given as a generator into one sampling function.

A layer can be given a trainer (anything with `.generator` and `.num_classes`), a
generator `keras.Model` mapping `[noise (N, Z), labels int32 (N,)]` to images in
[-1, 1], or the path of a SavedModel exported in TF Serving's layout. Whatever it is,
`resolve_generator` returns a `GeneratorSource` whose `sample(classes, noise)` gives
images in [-1, 1].

A SavedModel path is read by `tfgenaug.savedmodels.load`, the one reader of the export
format: it chooses the version, checks the metadata's format and format version, and
refuses partial or corrupt exports with the same errors here as there. Its `generate`
signature gives images in [0, 1], mapped here onto [-1, 1].
"""

import dataclasses
import os
from collections.abc import Callable

import keras
import tensorflow as tf

from tfgenaug.networks.empty_batch import call_on_rows
from tfgenaug.savedmodels.load import load
from tfgenaug.savedmodels.load import resolve_version_dir
from tfgenaug.trainers.noise import NOISE_DISTRIBUTIONS

# Layers whose size gives the number of classes of a conditional generator.
_CLASS_COUNT_ATTRIBUTES = (
    (keras.layers.Embedding, "input_dim"),
    (keras.layers.CategoryEncoding, "num_tokens"),
)


@dataclasses.dataclass(frozen=True)
class GeneratorSource:
    """A class-conditional generator, whatever form it came in.

    Attributes:
        sample: `sample(classes int32 (n,), noise float32 (n, noise_dim))` returns
            float32 images `(n, *image_shape)` in [-1, 1]; traceable in graph mode.
        num_classes: int. Number of classes K.
        noise_dim: int. Size Z of the noise vector.
        noise_distribution: `"normal"` or `"uniform"`.
        image_shape: `(H, W, C)` of the images.
        model: the generator `keras.Model`, or `None` for a SavedModel.
        path: the SavedModel path as given, or `None` for a Keras generator.
        quality: the `quality` entry of a SavedModel's metadata (its run's judged
            label agreement, FID, precision/recall/density/coverage, overall and per
            class), or `None` (a Keras generator, or an export of an unjudged run).
    """

    sample: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
    num_classes: int
    noise_dim: int
    noise_distribution: str
    image_shape: tuple[int, int, int]
    model: keras.Model | None = None
    path: str | None = None
    quality: dict | None = None


def resolve_generator(
    generator,
    num_classes: int | None = None,
    noise_distribution: str | None = None,
) -> GeneratorSource:
    """Returns the `GeneratorSource` of a trainer, a generator model or a SavedModel path.

    Args:
        generator: a trainer (has `.generator` and `.num_classes`), a generator
            `keras.Model`, or the path (str) of a SavedModel export: a version directory,
            or a base directory whose newest complete numeric version is used (as by
            `tfgenaug.savedmodels.load`).
        num_classes: int. Needed for a `keras.Model` whose number of classes cannot be
            read from an `Embedding`, `CategoryEncoding` or a layer with a `num_classes`
            attribute; otherwise checked against the generator's. Defaults to `None`.
        noise_distribution: `"normal"` or `"uniform"`. For a `keras.Model` it defaults to
            `"normal"`; a trainer or SavedModel knows its own, and a different value given
            here is an error. Defaults to `None`.

    Returns:
        A `GeneratorSource`.

    Raises:
        ValueError: naming `generator`, `num_classes` or `noise_distribution` when one of
            them is unusable or they disagree; for a SavedModel path, the error
            `tfgenaug.savedmodels.load` raises (a foreign `format`, a newer
            `format_version`, a partial or corrupt export).
    """
    if noise_distribution is not None and noise_distribution not in NOISE_DISTRIBUTIONS:
        raise ValueError(
            f"noise_distribution must be one of {NOISE_DISTRIBUTIONS}; got {noise_distribution!r}"
        )
    if isinstance(generator, str | os.PathLike):
        source = _from_saved_model(os.fspath(generator))
    elif isinstance(getattr(generator, "generator", None), keras.Model) and hasattr(
        generator, "num_classes"
    ):
        # An image-conditioned trainer (DAGAN) samples by label from its source images.
        source = _from_keras_model(
            getattr(generator, "label_generator", generator.generator),
            int(generator.num_classes),
            getattr(generator, "noise_distribution", "normal"),
        )
    elif isinstance(generator, keras.Model):
        inferred = num_classes if num_classes is not None else infer_num_classes(generator)
        if inferred is None:
            raise ValueError(
                "num_classes must be given for this generator keras.Model: it has no "
                "Embedding, CategoryEncoding or layer with a `num_classes` attribute to "
                "read it from. Pass GANAugment(generator, num_classes=K)."
            )
        return _from_keras_model(generator, int(inferred), noise_distribution or "normal")
    else:
        raise ValueError(
            "generator must be a trainer (with .generator and .num_classes), a generator "
            f"keras.Model or a SavedModel path (str); got {type(generator).__name__}"
        )
    if num_classes is not None and int(num_classes) != source.num_classes:
        raise ValueError(
            f"num_classes={num_classes} disagrees with the generator's "
            f"num_classes={source.num_classes}"
        )
    if noise_distribution is not None and noise_distribution != source.noise_distribution:
        raise ValueError(
            f"noise_distribution={noise_distribution!r} disagrees with the generator's "
            f"{source.noise_distribution!r}"
        )
    return source


def infer_num_classes(model: keras.Model) -> int | None:
    """Reads K from the model's class-encoding layers; `None` unless exactly one K is found."""
    found = set()
    for layer in model._flatten_layers(include_self=True):
        value = getattr(layer, "num_classes", None)
        if layer is not model and isinstance(value, int) and not isinstance(value, bool):
            found.add(value)
        for layer_type, attribute in _CLASS_COUNT_ATTRIBUTES:
            if isinstance(layer, layer_type):
                found.add(int(getattr(layer, attribute)))
    return found.pop() if len(found) == 1 else None


def _from_keras_model(
    model: keras.Model, num_classes: int, noise_distribution: str
) -> GeneratorSource:
    inputs = getattr(model, "inputs", None)
    if inputs and len(inputs) == 2 and len(inputs[0].shape) == 4:
        raise ValueError(
            "generator takes images ([images, noise] -> images): an image-conditioned "
            "generator (DAGAN) needs the real images to transform. Pass the DAGAN trainer "
            "after trainer.set_sources(images, labels), its SavedModel export, or "
            "tfgenaug.networks.label_conditioned(generator, bank) with a filled "
            "tfgenaug.networks.SourceBank"
        )
    if not inputs or len(inputs) != 2 or len(model.output_shape) != 4:
        raise ValueError(
            "generator must be a keras.Model mapping [noise (N, Z), labels (N,)] to images "
            "(N, H, W, C) (label-conditioned), or an image-conditioned one "
            "[images, noise] -> images joined to source images; got a model with inputs "
            f"{inputs} and output {model.output_shape}"
        )
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive int; got {num_classes}")
    if noise_distribution not in NOISE_DISTRIBUTIONS:
        raise ValueError(
            f"noise_distribution must be one of {NOISE_DISTRIBUTIONS}; got {noise_distribution!r}"
        )

    def sample(classes, noise):
        return tf.cast(call_on_rows(model, [noise, classes]), tf.float32)

    return GeneratorSource(
        sample=sample,
        num_classes=num_classes,
        noise_dim=int(inputs[0].shape[-1]),
        noise_distribution=noise_distribution,
        image_shape=tuple(int(d) for d in model.output_shape[1:]),
        model=model,
    )


def _from_saved_model(path: str) -> GeneratorSource:
    try:
        version_dir = resolve_version_dir(path)
    except (FileNotFoundError, ValueError) as error:
        raise ValueError(f"generator path is not a SavedModel export: {error}") from error
    exported = load(version_dir)
    if exported.noise_distribution not in NOISE_DISTRIBUTIONS:
        raise ValueError(
            f"{version_dir!r}: unknown noise_distribution {exported.noise_distribution!r} "
            f"in its metadata; expected one of {NOISE_DISTRIBUTIONS}"
        )
    generate = exported.signatures["generate"]

    def sample_images(classes, noise, _exported=exported):
        # `_exported` keeps the restored object (and its variables) alive with the signature.
        images = generate(labels=tf.cast(classes, tf.int32), noise=tf.cast(noise, tf.float32))
        # The export's [0, 1] mapped exactly onto the trainers' [-1, 1] (0 -> -1, 1 -> 1).
        return tf.cast(images["images"], tf.float32) * 2.0 - 1.0

    return GeneratorSource(
        sample=sample_images,
        num_classes=exported.num_classes,
        noise_dim=exported.noise_dim,
        noise_distribution=exported.noise_distribution,
        image_shape=exported.image_shape,
        path=path,
        quality=exported.metadata.get("quality"),
    )
