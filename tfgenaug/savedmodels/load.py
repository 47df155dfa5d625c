"""Loading of generator exports written by `tfgenaug.savedmodels.export`.

This module needs TensorFlow only: an export is read with `tf.saved_model.load`, and
its metadata is the JSON file `<version>/assets/tfgenaug.json`. It is the one reader of
the export format: `tfgenaug.layers.GANAugment` loads a SavedModel path through `load`,
so both choose the same version and refuse the same foreign or newer formats.
"""

import json
import numbers
import posixpath
import re

import tensorflow as tf
from absl import logging

from tfgenaug.data import batch_checks
from tfgenaug.trainers.noise import check_truncation
from tfgenaug.trainers.noise import normal_from_uniform

METADATA_FILE = "tfgenaug.json"
METADATA_PATH = posixpath.join("assets", METADATA_FILE)
FORMAT = "tfgenaug.generator"
FORMAT_VERSION = 1
# tfgenaug's other export kinds (`feature_export`), which image sampling cannot serve.
CLASSIFIER_FORMAT = "tfgenaug.classifier"
FEATURE_GENERATOR_FORMAT = "tfgenaug.feature_generator"
_NOT_IMAGE_GENERATORS = {
    CLASSIFIER_FORMAT: "a classifier (images to class scores: DFG's E+C, or an ssgan "
                       "run's classifier)",
    FEATURE_GENERATOR_FORMAT: "DFG's feature generator (class ids to feature maps of its "
                              "extractor, not images)",
}
SIGNATURES = ("serving_default", "generate")
REQUIRED_METADATA = ("num_classes", "image_shape", "noise_dim", "noise_distribution")
_VERSION_DIR_MARKERS = ("saved_model.pb", "saved_model.pbtxt", "variables", "assets",
                        "fingerprint.pb")


def list_versions(base_dir: str) -> list[int]:
    """Returns the numeric version directories of `base_dir`, ascending.

    Hidden temporary directories of exports in progress (`.tmp-...`) and any other
    non-numeric entries are ignored, as TF Serving ignores them.

    Args:
        base_dir: str. A TF Serving base directory (any `tf.io.gfile` path).

    Returns:
        The sorted list of version numbers; empty if `base_dir` does not exist.

    Example:
    ```python
    list_versions("exports/wgan")  # [1, 2]
    ```
    """
    if not tf.io.gfile.isdir(base_dir):
        return []
    versions = []
    for name in tf.io.gfile.listdir(base_dir):
        name = name.rstrip("/")
        if re.fullmatch(r"\d+", name) and tf.io.gfile.isdir(posixpath.join(base_dir, name)):
            versions.append(int(name))
    return sorted(versions)


def _join(*parts: str) -> str:
    return posixpath.join(*parts)


def _is_complete(version_dir: str) -> bool:
    return tf.io.gfile.exists(_join(version_dir, "saved_model.pb")) and tf.io.gfile.exists(
        _join(version_dir, METADATA_PATH)
    )


def resolve_version_dir(path: str) -> str:
    """Returns the version directory that `load(path)` reads.

    `path` is a version directory if it holds SavedModel files (`saved_model.pb`,
    `variables/`, `assets/`, ...); otherwise it is a base directory, and its newest
    *complete* numeric version (one with `saved_model.pb` and `assets/tfgenaug.json`)
    is chosen. Newer incomplete versions (e.g. still being copied by another tool) are
    skipped with a warning; hidden temporary directories are ignored.

    Args:
        path: str. A version directory or a base directory.

    Returns:
        The path of the version directory.

    Raises:
        FileNotFoundError: naming `path` if it does not exist, or is a directory with
            neither SavedModel files nor numeric version directories.
        ValueError: naming `path` if it is a file, or if none of its versions is complete.
    """
    path = str(path)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"export path does not exist: {path!r}")
    if not tf.io.gfile.isdir(path):
        raise ValueError(
            f"export path {path!r} is a file; expected an export directory "
            "(base_dir or base_dir/<version>)"
        )
    entries = {name.rstrip("/") for name in tf.io.gfile.listdir(path)}
    if entries & set(_VERSION_DIR_MARKERS):
        return path
    versions = list_versions(path)
    if not versions:
        hint = ""
        if "config.json" in entries:  # what a user may take for an export
            hint = (f"; it is a train run: export it first with `python -m "
                    f"tfgenaug.bin.export --model_dir={path} --export_dir=<dir>` "
                    "(or tfgenaug.runs.export_from_model_dir)")
        raise FileNotFoundError(
            f"{path!r} is not a tfgenaug export: it holds neither a saved_model.pb nor a "
            f"numeric version directory (base_dir/<version>/saved_model.pb){hint}"
        )
    for version in reversed(versions):
        version_dir = _join(path, str(version))
        if _is_complete(version_dir):
            return version_dir
        logging.warning("Skipping incomplete export version %s: it lacks saved_model.pb or %s",
                        version_dir, METADATA_PATH)
    raise ValueError(
        f"no complete version in {path!r}: versions {versions} all lack saved_model.pb or "
        f"{METADATA_PATH} (partial or corrupt exports)"
    )


def read_metadata(version_dir: str) -> dict:
    """Reads and checks `<version_dir>/assets/tfgenaug.json`.

    Args:
        version_dir: str. A version directory written by `export`.

    Returns:
        The metadata dict.

    Raises:
        ValueError: naming the file if it is missing, not JSON, or not tfgenaug metadata.
    """
    path = _join(version_dir, METADATA_PATH)
    if not tf.io.gfile.exists(path):
        raise ValueError(
            f"{version_dir!r} is not a tfgenaug export: {METADATA_PATH} is missing "
            "(a SavedModel not written by tfgenaug.savedmodels.export?)"
        )
    try:
        with tf.io.gfile.GFile(path) as f:
            metadata = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path!r} is corrupt: not valid JSON ({error})") from error
    kind = metadata.get("format") if isinstance(metadata, dict) else None
    if kind in _NOT_IMAGE_GENERATORS:
        raise ValueError(
            f"{version_dir!r} is an export of {_NOT_IMAGE_GENERATORS[kind]}, format {kind!r}: "
            f"sampling images needs an image generator's export ({FORMAT!r}, e.g. of a "
            "wgan_gp, dcgan or dada run). Load this one with tf.saved_model.load or serve "
            "it with TF Serving")
    if kind != FORMAT:
        raise ValueError(f"{path!r} is not tfgenaug metadata: its 'format' is not {FORMAT!r}")
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ValueError(f"{path!r} is corrupt: it lacks the keys {missing}")
    if int(metadata.get("format_version", 0)) > FORMAT_VERSION:
        raise ValueError(
            f"{path!r} has format_version {metadata['format_version']}; this tfgenaug "
            f"reads up to {FORMAT_VERSION}: upgrade tfgenaug"
        )
    return metadata


class LoadedGenerator:
    """A class-conditional generator loaded from an export, callable like a function.

    Calls run the SavedModel's signatures, so they work eagerly and inside
    `tf.function` / `tf.data` graphs. Images are float32 in [0, 1].

    Args:
        path: str. The version directory it was loaded from.
        saved_model: the object returned by `tf.saved_model.load`.
        metadata: dict. The export's metadata (`assets/tfgenaug.json`).

    Attributes:
        path: the version directory.
        metadata: the metadata dict.
        num_classes: int. Number of classes K; labels are in [0, K).
        image_shape: `(H, W, C)` of the images.
        noise_dim: int. Size Z of the noise vector.
        noise_distribution: `"normal"` (N(0, 1)) or `"uniform"` (U[0, 1)).
        class_names: list of K class names.
        value_range: `(0.0, 1.0)`, the range of the images.
        signatures: the SavedModel's signatures (`serving_default`, `generate`, and
            `transform` for an image-conditioned generator).
    """

    def __init__(self, path: str, saved_model, metadata: dict):
        self.path = path
        self.saved_model = saved_model
        self.metadata = metadata
        self.num_classes = int(metadata["num_classes"])
        self.image_shape = tuple(int(d) for d in metadata["image_shape"])
        self.noise_dim = int(metadata["noise_dim"])
        self.noise_distribution = str(metadata["noise_distribution"])
        self.class_names = list(metadata.get("class_names") or map(str, range(self.num_classes)))
        self.value_range = tuple(float(v) for v in metadata.get("value_range", (0.0, 1.0)))
        self.signatures = saved_model.signatures

    def __repr__(self) -> str:
        return (f"LoadedGenerator(path={self.path!r}, num_classes={self.num_classes}, "
                f"image_shape={self.image_shape}, noise_dim={self.noise_dim})")

    def noise(self, batch_size, seed: int, truncation: float | None = None) -> tf.Tensor:
        """Returns the noise `(batch_size, noise_dim)` that `seed` stands for.

        Stateless (Philox) draws: the same `seed` gives the same noise in any process.
        With `truncation` (normal noise only), each entry has `|z| <= truncation`.
        """
        truncation = check_truncation(truncation, self.noise_distribution)
        shape = tf.stack([tf.cast(batch_size, tf.int32), self.noise_dim])
        seed_pair = tf.constant([seed, 0], tf.int64)
        if truncation is not None:
            uniform = tf.random.stateless_uniform(shape, seed_pair, alg="philox")
            return normal_from_uniform(uniform, truncation)
        if self.noise_distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed_pair, alg="philox")
        return tf.random.stateless_normal(shape, seed_pair, alg="philox")

    def __call__(self, labels, noise=None, seed: int | None = None,
                 truncation: float | None = None) -> tf.Tensor:
        """Generates one image per label.

        Args:
            labels: int class ids, shape `(N,)`, in [0, num_classes).
            noise: optional float noise `(N, noise_dim)`; the same noise gives the same
                images (the `generate` signature).
            seed: optional int; fixed noise drawn from it (see `noise()`). Ignored when
                `noise` is given. Without both, fresh noise is drawn inside the model
                (the `serving_default` signature).
            truncation: optional float > 0 (normal noise only): the noise, from `seed`
                or drawn inside (the `truncated` signature), has `|z| <= truncation`.
                Not with `noise`.

        Returns:
            float32 images `(N, H, W, C)` in [0, 1].

        Raises:
            ValueError: naming `labels`, `noise`, `seed` or `truncation` when it cannot
                be used (truncation also when the export predates the `truncated`
                signature).
            tf.errors.InvalidArgumentError: labels out of range found only when the
                signature runs (in graph mode).

        Example:
        ```python
        generator = tfgenaug.savedmodels.load("exports/wgan")
        images = generator([0, 1, 2], seed=0)
        ```
        """
        labels = self._check_labels(labels)
        truncation = check_truncation(truncation, self.noise_distribution)
        if truncation is not None and noise is not None:
            raise ValueError("truncation draws the noise; pass truncation or noise, not both")
        if noise is not None:
            noise = tf.convert_to_tensor(noise, tf.float32)
            batch = labels.shape[0]
            if noise.shape.rank != 2 or noise.shape[1] != self.noise_dim or (
                batch is not None and noise.shape[0] is not None and noise.shape[0] != batch
            ):
                raise ValueError(
                    f"noise must have shape (len(labels), noise_dim) = ({batch}, "
                    f"{self.noise_dim}); got {tuple(noise.shape)}"
                )
        elif seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                raise ValueError(f"seed must be an int or None; got {seed!r}")
            noise = self.noise(tf.shape(labels)[0], int(seed), truncation)
        elif truncation is not None:
            if "truncated" not in self.signatures:
                raise ValueError(f"truncation needs the export's 'truncated' signature, which "
                                 f"this export lacks (has {sorted(self.signatures)}): "
                                 f"pass a seed, or re-export with this tfgenaug")
            return self.signatures["truncated"](
                labels=labels, truncation=tf.constant(truncation, tf.float32))["images"]
        if noise is None:
            return self.signatures["serving_default"](labels=labels)["images"]
        return self.signatures["generate"](labels=labels, noise=noise)["images"]

    @property
    def image_conditioned(self) -> bool:
        """Whether the export has a `transform(images, noise)` signature (DAGAN)."""
        return "transform" in self.signatures

    def transform(self, images, noise=None, seed: int | None = None) -> tf.Tensor:
        """One new image per given image, meant to be of its class (image-conditioned only).

        Args:
            images: float images `(N, H, W, C)` in [0, 1], of the export's image shape.
            noise: optional float noise `(N, noise_dim)`.
            seed: optional int; fixed noise drawn from it (see `noise()`). Ignored when
                `noise` is given. Without both, `seed=0`'s noise would repeat, so fresh
                noise is drawn from TensorFlow's global generator.

        Returns:
            float32 images `(N, H, W, C)` in [0, 1].

        Raises:
            ValueError: the export is not image-conditioned, or `images` / `noise` /
                `seed` has the wrong form (naming it and the expected shape).

        Example:
        ```python
        dagan = tfgenaug.savedmodels.load("exports/dagan")
        variants = dagan.transform(rare_images, seed=0)
        ```
        """
        if not self.image_conditioned:
            raise ValueError(f"{self.path!r} is a label-conditioned generator: it has no "
                             "transform signature; call it with labels")
        images = tf.convert_to_tensor(images, tf.float32)
        if images.shape.rank != 4 or tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(f"images must have shape (N, {', '.join(map(str, self.image_shape))})"
                             f" (the export's image_shape); got {tuple(images.shape)}")
        batch = images.shape[0]
        if noise is None:
            if seed is not None and (isinstance(seed, bool)
                                     or not isinstance(seed, numbers.Integral)):
                raise ValueError(f"seed must be an int or None; got {seed!r}")
            noise = (self.noise(batch, int(seed)) if seed is not None
                     else tf.random.normal([batch, self.noise_dim]))
        noise = tf.convert_to_tensor(noise, tf.float32)
        if tuple(noise.shape) != (batch, self.noise_dim):
            raise ValueError(f"noise must have shape (len(images), noise_dim) = "
                             f"({batch}, {self.noise_dim}); got {tuple(noise.shape)}")
        return self.signatures["transform"](images=images, noise=noise)["images"]

    def _check_labels(self, labels) -> tf.Tensor:
        return batch_checks.class_id_vector(labels, self.num_classes)


def load(path: str) -> LoadedGenerator:
    """Loads a generator export from a version directory or a TF Serving base directory.

    Args:
        path: str. `base_dir/<version>` or `base_dir`; for a base directory the newest
            complete numeric version is loaded (see `resolve_version_dir`).

    Returns:
        A `LoadedGenerator`.

    Raises:
        FileNotFoundError: naming the path if it does not exist or holds no export.
        ValueError: naming the path if it is not a tfgenaug export (no
            `assets/tfgenaug.json` or no `saved_model.pb`) or is partial or corrupt.

    Example:
    ```python
    generator = tfgenaug.savedmodels.load("exports/wgan")
    images = generator([0, 0, 1], seed=0)   # float32 (3, H, W, C) in [0, 1]
    print(generator.metadata["class_names"])
    ```
    """
    version_dir = resolve_version_dir(str(path))
    if not tf.io.gfile.exists(_join(version_dir, "saved_model.pb")):
        raise ValueError(
            f"{version_dir!r} is a partial or corrupt export: saved_model.pb is missing"
        )
    metadata = read_metadata(version_dir)
    try:
        saved_model = tf.saved_model.load(version_dir)
    except Exception as error:  # noqa: BLE001 - any failure means a corrupt export
        raise ValueError(
            f"{version_dir!r} is a partial or corrupt export: tf.saved_model.load failed "
            f"with {type(error).__name__}: {error}"
        ) from error
    missing = [name for name in SIGNATURES if name not in saved_model.signatures]
    if missing:
        raise ValueError(
            f"{version_dir!r} is not a tfgenaug export: it lacks the signatures {missing} "
            f"(has {sorted(saved_model.signatures)})"
        )
    return LoadedGenerator(version_dir, saved_model, metadata)
