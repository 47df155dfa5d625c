"""Tests of `tfgenaug.layers.GANAugment` on 8x8x1 images and K=3 classes."""

import json
import math
import os
import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tfgenaug import savedmodels
from tfgenaug.layers import GANAugment
from tfgenaug.networks.generators import conditional_generator

IMAGE_SHAPE = (8, 8, 1)
K = 3
Z = 4
BATCH = 8


# ----------------------------------------------------------------- generators whose
# images encode their class: the left half of every image is the class code, -1 for
# class 0 up to 1 for class K-1 ([0, 1] for the SavedModel); the right half depends on
# the noise.
@keras.saving.register_keras_serializable(package="tfgenaug_tests")
class PaintLabels(keras.layers.Layer):
    """[noise, labels] -> images whose left half is 2 * label / (levels - 1) - 1."""

    def __init__(self, levels: int, **kwargs):
        super().__init__(**kwargs)
        self.levels = levels  # not `num_classes`: GANAugment must not infer K from it

    def call(self, inputs):
        noise, labels = inputs
        code = ops.cast(labels, "float32") * (2.0 / (self.levels - 1)) - 1.0
        left = code[:, None, None, None] * ops.ones((1, 8, 4, 1))
        right = ops.tanh(noise[:, :1])[:, :, None, None] * ops.ones((1, 8, 4, 1))
        return ops.concatenate([left, right], axis=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], *IMAGE_SHAPE)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels}


def paint_generator() -> keras.Model:
    noise = keras.Input((Z,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    return keras.Model([noise, labels], PaintLabels(K)([noise, labels]))


class PaintModule(tf.Module):
    """A SavedModel export like tfgenaug.savedmodels': images in [0, 1]."""

    def __init__(self, flip: bool = False):
        super().__init__()
        self.flip = flip

    @tf.function(
        input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([None, Z], tf.float32)]
    )
    def generate(self, labels, noise):
        classes = (K - 1 - labels) if self.flip else labels
        left = tf.cast(classes, tf.float32)[:, None, None, None] / (K - 1) * tf.ones([1, 8, 4, 1])
        right = tf.sigmoid(noise[:, :1])[:, :, None, None] * tf.ones([1, 8, 4, 1])
        return {"images": tf.concat([left, right], axis=2), "labels": labels}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def serve(self, labels):
        return self.generate(labels, tf.random.uniform([tf.shape(labels)[0], Z]))


def export_paint_module(version_dir: str, flip: bool = False, quality=None) -> None:
    module = PaintModule(flip)
    tf.saved_model.save(
        module, version_dir, signatures={"serving_default": module.serve,
                                         "generate": module.generate}
    )
    metadata = {"format": "tfgenaug.generator", "format_version": 1, "num_classes": K,
                "image_shape": list(IMAGE_SHAPE), "noise_dim": Z, "noise_distribution": "uniform"}
    if quality is not None:
        metadata["quality"] = quality
    os.makedirs(os.path.join(version_dir, "assets"), exist_ok=True)
    with open(os.path.join(version_dir, "assets", "tfgenaug.json"), "w") as f:
        json.dump(metadata, f)


@pytest.fixture(scope="module")
def saved_model_dir(tmp_path_factory) -> str:
    """A base dir with versions 1 (classes painted backwards) and 2 (the right one)."""
    base = tmp_path_factory.mktemp("exports")
    export_paint_module(str(base / "1"), flip=True)
    export_paint_module(str(base / "2"))
    return str(base)


def decode(images, value_range=(0, 255)) -> np.ndarray:
    """Class of each painted image, read from its left half."""
    low, high = value_range
    code = (np.asarray(images)[:, :, :4, 0].mean(axis=(1, 2)) - low) / (high - low)
    return np.round(code * (K - 1)).astype(int)


def real_batch(batch: int = BATCH, seed: int = 0,
               value_range=(0, 255)) -> tuple[np.ndarray, np.ndarray]:
    """Random pixels in `value_range` (never a painted image) and int32 labels."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(*value_range, (batch, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, K, batch).astype("int32")
    return images, labels


def kept_rows(out_images, images) -> np.ndarray:
    """Mask of the output rows equal to the input row at the same position."""
    out_images = np.asarray(out_images)[: len(images)]
    return np.all(out_images == images, axis=(1, 2, 3))


# ----------------------------------------------------------------- structure and labels
@pytest.mark.parametrize("structure", ["dict", "tuple"])
@pytest.mark.parametrize("label_form", ["int", "column_int64", "one_hot"])
def test_replace_keeps_real_rows_and_labels_generated_rows(structure, label_form):
    images, ids = real_batch()
    labels = {
        "int": ids,
        "column_int64": ids[:, None].astype("int64"),
        "one_hot": np.eye(K, dtype="float32")[ids],
    }[label_form]
    layer = GANAugment(paint_generator(), num_classes=K, rate=0.5, seed=1)
    data = {"images": images, "labels": labels} if structure == "dict" else (images, labels)

    out = layer(data)

    if structure == "dict":
        assert isinstance(out, dict) and set(out) == {"images", "labels"}
        out_images, out_labels = out["images"], out["labels"]
    else:
        assert isinstance(out, tuple) and len(out) == 2
        out_images, out_labels = out
    assert out_images.shape == images.shape and out_images.dtype == "float32"
    assert tuple(out_labels.shape) == labels.shape
    assert out_labels.dtype == tf.as_dtype(labels.dtype)
    out_images, out_labels = np.asarray(out_images), np.asarray(out_labels)
    kept = kept_rows(out_images, images)
    assert kept.sum() == BATCH - 4
    np.testing.assert_array_equal(out_labels[kept], labels[kept])
    if label_form == "one_hot":
        generated_ids = out_labels[~kept].argmax(-1)
        np.testing.assert_array_equal(out_labels[~kept], np.eye(K)[generated_ids])
    else:
        generated_ids = out_labels[~kept].reshape(-1)
    np.testing.assert_array_equal(decode(out_images[~kept]), generated_ids)


def test_replaced_rows_are_a_fresh_random_subset_each_batch():
    images, labels = real_batch()
    layer = GANAugment(paint_generator(), num_classes=K, rate=0.25, seed=0)
    masks = np.array([~kept_rows(layer((images, labels))[0], images) for _ in range(20)])
    assert np.all(masks.sum(axis=1) == 2)
    assert len({tuple(mask) for mask in masks}) > 1
    assert np.all(masks.any(axis=0)), "every row is replaced in some batch"


@pytest.mark.parametrize("label_form", ["int", "one_hot"])
def test_append_keeps_batch_and_adds_labelled_rows(label_form):
    images, ids = real_batch()
    labels = ids if label_form == "int" else np.eye(K, dtype="float32")[ids]
    layer = GANAugment(paint_generator(), num_classes=K, rate=0.25, mode="append", seed=2)

    out_images, out_labels = (np.asarray(t) for t in layer((images, labels)))

    assert out_images.shape == (BATCH + 2, *IMAGE_SHAPE)
    assert out_labels.shape == (BATCH + 2, *labels.shape[1:])
    np.testing.assert_array_equal(out_images[:BATCH], images)
    np.testing.assert_array_equal(out_labels[:BATCH], labels)
    generated = out_labels[BATCH:] if label_form == "int" else out_labels[BATCH:].argmax(-1)
    np.testing.assert_array_equal(decode(out_images[BATCH:]), generated)


def test_training_false_is_identity():
    images, labels = real_batch()
    layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, mode="append", seed=0)
    out = layer({"images": images, "labels": labels}, training=False)
    np.testing.assert_array_equal(out["images"], images)
    np.testing.assert_array_equal(out["labels"], labels)


@pytest.mark.parametrize(("rate", "batch", "expected"), [(0.0, 8, 0), (0.3, 10, 3), (0.25, 2, 1),
                                                         (1.0, 5, 5)])
def test_number_of_generated_rows_is_rate_times_batch_rounded(rate, batch, expected):
    layer = GANAugment(paint_generator(), num_classes=K, rate=rate, mode="append", seed=0)
    images, labels = real_batch(batch)
    assert layer.num_generated(batch) == expected
    assert int(layer.num_generated(tf.constant(batch))) == expected
    assert layer((images, labels))[0].shape[0] == batch + expected


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_a_batch_that_gets_no_generated_rows_passes_through_a_convolutional_generator(mode):
    """round(0.25 * 1) = 0 rows for a dataset's last batch of one: TensorFlow's CPU
    convolution gives an empty batch the wrong channel count (networks/empty_batch.py),
    which broke the merge."""
    generator = conditional_generator(IMAGE_SHAPE, K, Z, 4)
    layer = GANAugment(generator, num_classes=K, rate=0.25, mode=mode, seed=0)
    images, labels = real_batch(9, value_range=(-1, 1))
    out_images, out_labels = layer((images[:1], labels[:1]))
    np.testing.assert_array_equal(out_images, images[:1])
    np.testing.assert_array_equal(out_labels, labels[:1])
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8).map(layer)
    sizes = [int(batch_images.shape[0]) for batch_images, _ in dataset]
    assert sizes == ([8, 1] if mode == "replace" else [10, 1])


def test_value_range_conversion_is_exact():
    """The generator's -1 and 1 become exactly low and high of value_range."""
    for value_range in [(0, 255), (-1, 1), (0, 1)]:
        images, labels = real_batch(40, value_range=value_range)
        layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, seed=3,
                           value_range=value_range)
        out_images, out_labels = (np.asarray(t) for t in layer((images, labels)))
        left = out_images[:, :, :4, 0]
        for cls, want in [(0, value_range[0]), (K - 1, value_range[1])]:
            rows = out_labels == cls
            assert rows.any()
            assert np.all(left[rows] == want)


# ----------------------------------------------------------------- randomness
def test_same_seed_same_output_different_seed_different_output():
    images, labels = real_batch()

    def run(seed):
        layer = GANAugment(paint_generator(), num_classes=K, rate=0.5, seed=seed)
        return [np.asarray(t) for t in layer((images, labels))]

    first, again, other = run(7), run(7), run(8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def generated_label_shares(layer, num_batches: int = 50, batch: int = 40) -> np.ndarray:
    images, labels = real_batch(batch)
    counts = np.zeros(K)
    for _ in range(num_batches):
        out_labels = np.asarray(layer((images, labels))[1])
        counts += np.bincount(out_labels, minlength=K)
    return counts / counts.sum(), num_batches * batch


def assert_shares_match(shares, probs, n):
    """Each class's share within 5 binomial standard deviations of its probability."""
    probs = np.asarray(probs)
    sd = np.sqrt(probs * (1 - probs) / n)
    assert np.all(np.abs(shares - probs) <= 5 * sd + 1e-12), (shares, probs, 5 * sd)


def test_class_probs_are_respected():
    probs = [0.6, 0.3, 0.1]
    layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, class_probs=probs, seed=4)
    shares, n = generated_label_shares(layer)
    assert_shares_match(shares, probs, n)


def test_zero_probability_class_is_never_generated():
    layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, class_probs=[0.5, 0, 0.5],
                       seed=5)
    shares, _ = generated_label_shares(layer, num_batches=5)
    assert shares[1] == 0


def test_balanced_uses_inverse_class_counts():
    layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, class_probs="balanced",
                       class_counts=[100, 50, 10], seed=6)
    expected = np.array([1, 2, 10]) / 13
    np.testing.assert_allclose(layer.class_probabilities, expected, rtol=1e-12)
    shares, n = generated_label_shares(layer)
    assert_shares_match(shares, expected, n)


def test_class_quality_from_the_export_metadata_weights_the_classes(tmp_path):
    export_paint_module(str(tmp_path / "1"), quality={
        "label_agreement_per_class": [1.0, 0.5, 0.0]})
    layer = GANAugment(str(tmp_path), rate=1.0, class_quality="label_agreement", seed=7)
    expected = np.array([2, 1, 0]) / 3
    np.testing.assert_allclose(layer.class_probabilities, expected, rtol=1e-12)
    shares, n = generated_label_shares(layer)
    assert shares[2] == 0  # the class the judge always rejected is never generated
    assert_shares_match(shares, expected, n)


def test_class_quality_list_multiplies_balanced_probabilities():
    layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, class_probs="balanced",
                       class_counts=[100, 50, 10], class_quality=[1.0, 1.0, 0.5], seed=8)
    expected = np.array([1, 2, 5]) / 8  # (1, 2, 10) / 13 times (1, 1, 0.5), renormalised
    np.testing.assert_allclose(layer.class_probabilities, expected, rtol=1e-12)
    shares, n = generated_label_shares(layer)
    assert_shares_match(shares, expected, n)


def test_class_quality_names_a_score_the_generator_must_carry(saved_model_dir):
    with pytest.raises(ValueError, match="class_quality='label_agreement' reads the "
                       "generator's export metadata, but its export's metadata has no quality"):
        GANAugment(saved_model_dir, class_quality="label_agreement")
    with pytest.raises(ValueError, match="class_quality='coverage' reads"):
        GANAugment(paint_generator(), num_classes=K, class_quality="coverage")


# ----------------------------------------------------------------- generator sources
def test_savedmodel_path_uses_newest_version_and_its_noise_distribution(saved_model_dir):
    images, labels = real_batch(40)
    for path in [saved_model_dir, os.path.join(saved_model_dir, "2")]:
        layer = GANAugment(path, rate=1.0, seed=0)
        assert (layer.num_classes, layer.noise_dim, layer.image_shape) == (K, Z, IMAGE_SHAPE)
        out_images, out_labels = (np.asarray(t) for t in layer((images, labels)))
        np.testing.assert_array_equal(decode(out_images), out_labels)
        # [0, 1] -> (0, 255): classes 0 and K-1 exact; the right half is
        # sigmoid(uniform noise) * 255, in [127.5, 186.5) only for uniform noise.
        assert set(np.unique(out_images[:, :, :4])) <= {0.0, 127.5, 255.0}
        right = out_images[:, :, 4:]
        assert right.min() >= 127.5 and right.max() < 186.5


def test_trainer_like_object_gives_generator_and_classes():
    generator = paint_generator()
    trainer = types.SimpleNamespace(generator=generator, num_classes=K, noise_dim=Z,
                                    noise_distribution="uniform", image_shape=IMAGE_SHAPE)
    layer = GANAugment(trainer, rate=1.0, seed=0)
    assert (layer.num_classes, layer.noise_distribution) == (K, "uniform")
    images, labels = real_batch(40)
    out_images, out_labels = (np.asarray(t) for t in layer((images, labels)))
    np.testing.assert_array_equal(decode(out_images), out_labels)
    # tanh(U[0, 1)) * 127.5 + 127.5 lies in [127.5, 224.6): the noise is uniform.
    assert out_images[:, :, 4:].min() >= 127.5


def test_num_classes_is_inferred_from_a_tfgenaug_generator():
    generator = conditional_generator(IMAGE_SHAPE, K, noise_dim=Z, width=4)
    layer = GANAugment(generator, seed=0)
    assert (layer.num_classes, layer.noise_dim, layer.noise_distribution) == (K, Z, "normal")


# ----------------------------------------------------------------- tf.data and models
@pytest.mark.parametrize("structure", ["dict", "tuple"])
def test_tf_data_map(structure):
    images, labels = real_batch(20)
    elements = {"images": images, "labels": labels} if structure == "dict" else (images, labels)
    layer = GANAugment(paint_generator(), num_classes=K, rate=0.5, seed=0)
    ds = tf.data.Dataset.from_tensor_slices(elements).batch(8).map(layer)
    sizes = []
    for element in ds:
        out_images, out_labels = (
            (element["images"], element["labels"]) if structure == "dict" else element
        )
        out_images, out_labels = np.asarray(out_images), np.asarray(out_labels)
        assert out_labels.dtype == np.int32
        sizes.append(len(out_images))
        is_real = np.all(out_images[:, None] == images[None], axis=(2, 3, 4)).any(axis=1)
        generated = ~is_real
        assert generated.sum() == len(out_images) // 2
        np.testing.assert_array_equal(decode(out_images[generated]), out_labels[generated])
    assert sizes == [8, 8, 4]


def test_image_shape_mismatch_is_caught_when_tracing_tf_data():
    images = np.zeros((4, 4, 4, 1), "float32")
    labels = np.zeros(4, "int32")
    layer = GANAugment(paint_generator(), num_classes=K, seed=0)
    with pytest.raises(ValueError, match=r"\(batch, 8, 8, 1\).*\(None, 4, 4, 1\)"):
        tf.data.Dataset.from_tensor_slices((images, labels)).batch(2).map(layer)


@keras.saving.register_keras_serializable(package="tfgenaug_tests")
class SparseCrossEntropyLoss(keras.layers.Layer):
    """Adds the loss of `[labels, probabilities]` to the model and passes probabilities."""

    def call(self, inputs):
        labels, probabilities = inputs
        self.add_loss(ops.mean(keras.losses.sparse_categorical_crossentropy(labels, probabilities)))
        return probabilities


def classifier_with_augment(layer: GANAugment) -> tuple[keras.Model, keras.Model]:
    classifier = keras.Sequential([
        keras.Input(IMAGE_SHAPE), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
        keras.layers.Dense(K, activation="softmax"),
    ], name="classifier")
    images = keras.Input(IMAGE_SHAPE, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    aug_images, aug_labels = layer((images, labels))
    probabilities = SparseCrossEntropyLoss()([aug_labels, classifier(aug_images)])
    model = keras.Model([images, labels], probabilities)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    return model, classifier


def test_in_model_fit_trains_the_classifier_not_the_generator():
    generator = conditional_generator(IMAGE_SHAPE, K, noise_dim=Z, width=4)
    before = [w.numpy().copy() for w in generator.weights]
    model, classifier = classifier_with_augment(GANAugment(generator, rate=0.5, seed=0))
    assert len(model.trainable_weights) == len(classifier.trainable_weights)
    classifier_before = [w.numpy().copy() for w in classifier.weights]
    images, labels = real_batch(16)

    history = model.fit([images, labels], epochs=1, batch_size=8, verbose=0)

    assert np.isfinite(history.history["loss"][0])
    for b, w in zip(before, generator.weights, strict=True):
        np.testing.assert_array_equal(b, w.numpy())
    assert any(not np.array_equal(b, w.numpy())
               for b, w in zip(classifier_before, classifier.weights, strict=True))
    # In predict() the layer is the identity.
    np.testing.assert_allclose(model.predict([images, labels], verbose=0),
                               classifier.predict(images, verbose=0), rtol=1e-6)


def test_keras_file_round_trip_with_savedmodel_path(saved_model_dir, tmp_path):
    model, _ = classifier_with_augment(GANAugment(saved_model_dir, rate=0.5, seed=3))
    images, labels = real_batch(16)
    model.fit([images, labels], epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)

    loaded = keras.models.load_model(path)

    layer = next(lay for lay in loaded.layers if isinstance(lay, GANAugment))
    assert layer.get_config()["generator"] == saved_model_dir
    np.testing.assert_allclose(loaded.predict([images, labels], verbose=0),
                               model.predict([images, labels], verbose=0), rtol=1e-6)
    out_images, out_labels = (np.asarray(t) for t in layer((images, labels)))
    generated = ~kept_rows(out_images, images)
    assert generated.sum() == BATCH
    np.testing.assert_array_equal(decode(out_images[generated]), out_labels[generated])
    loaded.fit([images, labels], epochs=1, batch_size=8, verbose=0)


def test_keras_file_round_trip_restores_the_generator_weights(tmp_path):
    generator = conditional_generator(IMAGE_SHAPE, K, noise_dim=Z, width=4)
    model, _ = classifier_with_augment(GANAugment(generator, rate=0.5, seed=3))
    path = str(tmp_path / "model.keras")
    model.save(path)

    loaded = keras.models.load_model(path)

    layer = next(lay for lay in loaded.layers if isinstance(lay, GANAugment))
    noise = np.random.default_rng(0).normal(size=(6, Z)).astype("float32")
    classes = np.arange(6, dtype="int32") % K
    np.testing.assert_allclose(layer._source.sample(classes, noise),
                               generator([noise, classes], training=False), atol=1e-6)


def test_truncation_bounds_the_noise_and_round_trips():
    # The painted right half is tanh(noise[:, 0]): truncation bounds it.
    layer = GANAugment(paint_generator(), num_classes=K, rate=1.0, value_range=(-1, 1),
                       seed=0, truncation=0.2)
    images, labels = real_batch(32, value_range=(-1, 1))
    right = np.asarray(layer((images, labels))[0])[:, :, 4:, 0]
    assert np.abs(right).max() <= math.tanh(0.2) + 1e-6 and np.abs(right).max() > 0
    config = json.loads(json.dumps(layer.get_config()))
    assert config["truncation"] == 0.2
    assert GANAugment.from_config(config).truncation == 0.2
    with pytest.raises(ValueError, match="truncation applies to normal noise"):
        GANAugment(paint_generator(), num_classes=K, noise_distribution="uniform",
                   truncation=0.5)
    with pytest.raises(ValueError, match="truncation must be None or a number > 0"):
        GANAugment(paint_generator(), num_classes=K, truncation=0)


def test_config_round_trip():
    layer = GANAugment(paint_generator(), num_classes=K, rate=0.25, mode="append",
                       class_probs="balanced", class_counts=np.array([5, 5, 1]),
                       class_quality=np.array([1.0, 0.5, 1.0]),
                       value_range=(-1, 1), seed=9, name="augment")
    config = json.loads(json.dumps(layer.get_config()))  # JSON-serialisable
    restored = GANAugment.from_config(config)
    assert json.loads(json.dumps(restored.get_config())) == config
    assert config["class_counts"] == [5, 5, 1] and config["value_range"] == [-1.0, 1.0]
    assert config["class_quality"] == [1.0, 0.5, 1.0]
    np.testing.assert_array_equal(restored.class_probabilities, layer.class_probabilities)
    images, labels = real_batch(value_range=(-1, 1))
    for a, b in zip(layer((images, labels)), restored((images, labels)), strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"rate": -0.1}, "rate"),
    ({"rate": 1.5}, "rate"),
    ({"mode": "insert"}, "mode"),
    ({"class_probs": [0.5, 0.5]}, "class_probs"),
    ({"class_probs": [0.5, 0.3, 0.1]}, "class_probs"),
    ({"class_probs": [1.2, -0.1, -0.1]}, "class_probs"),
    ({"class_probs": "rare"}, "class_probs"),
    ({"class_probs": "balanced"}, "class_counts"),
    ({"class_probs": "balanced", "class_counts": [1, 0, 2]}, "class_counts"),
    ({"class_counts": [1, 2, 3]}, "class_counts"),
    ({"class_quality": "agreement"}, "class_quality"),
    ({"class_quality": [1.0, 0.5]}, "class_quality"),
    ({"class_quality": [1.0, -0.5, 1.0]}, "class_quality"),
    ({"class_quality": [0.0, 0.0, 0.0]}, "class_quality leaves no class"),
    ({"class_probs": [1.0, 0.0, 0.0], "class_quality": [0.0, 1.0, 1.0]}, "class_quality"),
    ({"value_range": (255, 0)}, "value_range"),
    ({"num_classes": 4, "generator": "trainer"}, "num_classes"),
])
def test_bad_arguments_raise_naming_them(kwargs, match):
    kwargs = dict(kwargs)
    generator = paint_generator()
    if kwargs.pop("generator", None) == "trainer":
        generator = types.SimpleNamespace(generator=generator, num_classes=K)
    else:
        kwargs.setdefault("num_classes", K)
    with pytest.raises(ValueError, match=match):
        GANAugment(generator, **kwargs)


def test_num_classes_required_when_not_inferable():
    with pytest.raises(ValueError, match="num_classes"):
        GANAugment(paint_generator())


def test_path_that_is_not_a_savedmodel_export(tmp_path):
    with pytest.raises(ValueError, match="not a SavedModel export"):
        GANAugment(str(tmp_path))
    with pytest.raises(ValueError, match="generator"):
        GANAugment(42)


@pytest.mark.parametrize(("change", "message"), [
    ({"format": "somebody.else"},
     r"tfgenaug.json' is not tfgenaug metadata: its 'format' is not 'tfgenaug.generator'$"),
    ({"format": "tfgenaug.classifier"},
     r"is an export of a classifier .* Load this one with tf.saved_model.load or serve it "
     r"with TF Serving$"),
    ({"format_version": 2},
     r"tfgenaug.json' has format_version 2; this tfgenaug reads up to 1: upgrade tfgenaug$"),
])
def test_savedmodel_of_a_foreign_format_or_newer_version_is_refused_as_load_refuses_it(
        tmp_path, change, message):
    export_paint_module(str(tmp_path / "1"))
    metadata_path = tmp_path / "1" / "assets" / "tfgenaug.json"
    metadata = {**json.loads(metadata_path.read_text()), **change}
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match=message) as from_load:
        savedmodels.load(str(tmp_path))
    for path in [str(tmp_path), str(tmp_path / "1")]:
        with pytest.raises(ValueError, match=message) as from_layer:
            GANAugment(path, seed=0)
        assert str(from_layer.value) == str(from_load.value)


@pytest.mark.parametrize(("images_shape", "labels", "match"), [
    ((BATCH, 4, 4, 1), np.zeros(BATCH, "int32"), r"\(batch, 8, 8, 1\).*\(8, 4, 4, 1\)"),
    ((BATCH, 8, 8, 3), np.zeros(BATCH, "int32"), r"\(batch, 8, 8, 1\).*\(8, 8, 8, 3\)"),
    ((BATCH, *IMAGE_SHAPE), np.zeros((BATCH, 5), "float32"), "num_classes=3"),
    (IMAGE_SHAPE, np.zeros((), "int32"), "images must be a batch of shape"),
])
def test_bad_inputs_raise(images_shape, labels, match):
    layer = GANAugment(paint_generator(), num_classes=K, seed=0)
    with pytest.raises(ValueError, match=match):
        layer((np.zeros(images_shape, "float32"), labels))


def test_input_without_labels_raises():
    layer = GANAugment(paint_generator(), num_classes=K, seed=0)
    with pytest.raises(ValueError, match="labels"):
        layer({"images": np.zeros((BATCH, *IMAGE_SHAPE), "float32")})
