"""Tests of `tfgenaug.layers.SameClassMix`.

The test images encode their row index: image `i` is zero except for one pixel, pixel
`i` of the flattened image, which is `SCALE`. A mixed output row `i` then holds `w * SCALE`
at pixel `i` and `(1 - w) * SCALE` at its partner's pixel, so `w` and the partner can be
read back from the output.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.layers import SameClassMix
from tfgenaug.layers.same_class_mix import nearest_partners
from tfgenaug.layers.same_class_mix import same_class_partners

IMAGE_SHAPE = (4, 4, 1)
PIXELS = 16
SCALE = 255.0
K = 3


def indexed_images(batch: int) -> np.ndarray:
    assert batch <= PIXELS
    return (np.eye(batch, PIXELS, dtype="float32") * SCALE).reshape(batch, *IMAGE_SHAPE)


def read_mix(out_images) -> tuple[np.ndarray, np.ndarray]:
    """`(w, partners)` of each output row of mixed indexed images."""
    flat = np.asarray(out_images).reshape(len(out_images), -1) / SCALE
    rows = np.arange(len(flat))
    w = flat[rows, rows]
    others = flat.copy()
    others[rows, rows] = -1.0
    partners = np.where(w >= 1.0 - 1e-6, rows, others.argmax(axis=1))
    # Every row is a convex mix of exactly its own pixel and its partner's.
    expected = np.zeros_like(flat)
    expected[rows, rows] = w
    expected[rows, partners] += 1.0 - w
    np.testing.assert_allclose(flat, expected, atol=1e-6)
    return w, partners


CLASSES = np.array([0, 1, 0, 2, 1, 0, 1, 0, 2, 1], dtype="int32")


# ----------------------------------------------------------------- classification
@pytest.mark.parametrize("structure", ["dict", "tuple"])
@pytest.mark.parametrize("label_form", ["int", "column_int64", "one_hot"])
def test_partners_share_the_class_and_labels_are_unchanged(structure, label_form):
    images = indexed_images(len(CLASSES))
    labels = {
        "int": CLASSES,
        "column_int64": CLASSES[:, None].astype("int64"),
        "one_hot": np.eye(K, dtype="float32")[CLASSES],
    }[label_form]
    layer = SameClassMix(seed=0)
    data = {"images": images, "labels": labels} if structure == "dict" else (images, labels)

    for _ in range(10):
        out = layer(data)
        if structure == "dict":
            assert isinstance(out, dict) and set(out) == {"images", "labels"}
            out_images, out_labels = out["images"], out["labels"]
        else:
            assert isinstance(out, tuple) and len(out) == 2
            out_images, out_labels = out
        assert out_images.shape == images.shape and out_images.dtype == "float32"
        assert out_labels.dtype == tf.as_dtype(labels.dtype)
        np.testing.assert_array_equal(out_labels, labels)
        w, partners = read_mix(out_images)
        np.testing.assert_array_equal(CLASSES[partners], CLASSES)
        assert np.all(partners != np.arange(len(CLASSES))), "every class has two or more rows"
        assert np.all((w >= 0) & (w <= 1))
        # The pairing is a permutation: every row is somebody's partner exactly once.
        np.testing.assert_array_equal(np.sort(partners), np.arange(len(CLASSES)))


def test_partner_is_a_random_other_member_of_the_class():
    layer = SameClassMix(seed=1)
    images = indexed_images(len(CLASSES))
    seen = {i: set() for i in range(len(CLASSES))}
    for _ in range(40):
        _, partners = read_mix(layer((images, CLASSES))[0])
        for i, p in enumerate(partners):
            seen[i].add(int(p))
    for i, partners in seen.items():
        same_class = set(np.flatnonzero(np.equal(CLASSES, CLASSES[i]))) - {i}
        assert partners == same_class


def test_single_member_of_a_class_is_left_unchanged():
    images = indexed_images(6)
    labels = np.array([0, 0, 1, 2, 2, 2], "int32")  # class 1 has one row in the batch
    layer = SameClassMix(seed=2)
    for _ in range(5):
        out_images = np.asarray(layer((images, labels))[0])
        np.testing.assert_array_equal(out_images[2], images[2])
        w, partners = read_mix(out_images)
        assert partners[2] == 2 and w[2] == 1.0
        assert np.all(partners[[0, 1, 3, 4, 5]] != [0, 1, 3, 4, 5])


def test_a_batch_of_one_is_unchanged():
    images = indexed_images(1)
    out_images, _ = SameClassMix(seed=0)((images, np.array([4], "int32")))
    np.testing.assert_array_equal(out_images, images)


def test_uniform_weights_by_default_and_beta_with_alpha():
    images = indexed_images(16)
    labels = np.zeros(16, "int32")

    def weights(layer):
        return np.concatenate([read_mix(layer((images, labels))[0])[0] for _ in range(25)])

    uniform, beta = weights(SameClassMix(seed=3)), weights(SameClassMix(alpha=0.2, seed=3))
    # 400 draws each: U(0, 1) has variance 1/12 = 0.083, Beta(0.2, 0.2) 1/5.6 = 0.179.
    assert abs(uniform.mean() - 0.5) < 0.05 and abs(uniform.var() - 1 / 12) < 0.02
    assert abs(beta.mean() - 0.5) < 0.07 and abs(beta.var() - 1 / 5.6) < 0.03


def test_same_class_partners_hand_made():
    partners = same_class_partners(tf.constant([0, 1, 0, 0]), tf.constant([0.1, 0.5, 0.3, 0.2]))
    # Class 0 in key order: rows 0 (0.1), 3 (0.2), 2 (0.3) -> 0 pairs with 3, 3 with 2,
    # 2 with 0; class 1 has one row.
    np.testing.assert_array_equal(partners, [3, 1, 0, 2])


# ----------------------------------------------------------------- regression
def test_nearest_partners_hand_made():
    points = tf.constant([[0.0, 0.0], [10.0, 0.0], [1.0, 1.0], [8.0, 0.5], [0.5, 0.0]])
    # 0 -> 4 (0.5), 1 -> 3, 2 -> 4 (|(0.5, 1)| < |(1, 1)|), 3 -> 1, 4 -> 0.
    np.testing.assert_array_equal(nearest_partners(points), [4, 3, 4, 1, 0])
    # Large, close values stay exact enough to tell 1000 from 1001.
    np.testing.assert_array_equal(
        nearest_partners(tf.constant([[1e4], [1e4 + 3], [1e4 + 1], [0.0]])), [2, 2, 0, 0]
    )


@pytest.mark.parametrize("targets", [
    np.array([3.0, 10.0, 3.5, 9.0, 20.0, 3.2], "float32"),
    np.array([[0, 0], [5, 5], [0, 1], [5, 6], [9, 0], [0, 0.4]], "float32"),
])
def test_regression_mixes_nearest_targets_with_the_same_weight(targets):
    images = indexed_images(len(targets))
    expected_partners = np.asarray(nearest_partners(targets.reshape(len(targets), -1)))
    layer = SameClassMix(mode="regression", alpha=0.5, seed=4)

    out = layer({"images": images, "labels": targets})

    w, partners = read_mix(out["images"])
    np.testing.assert_array_equal(partners, expected_partners)
    assert np.all((w >= 0) & (w <= 1)) and np.any((w > 0.01) & (w < 0.99))
    shape = (-1,) + (1,) * (targets.ndim - 1)
    np.testing.assert_allclose(
        out["labels"],
        w.reshape(shape) * targets + (1 - w.reshape(shape)) * targets[partners],
        rtol=1e-5, atol=1e-5,
    )
    assert out["labels"].dtype == "float32"


def test_regression_targets_hand_made_partners():
    targets = np.array([1.0, 5.0, 1.4, 4.9], "float32")
    w, partners = read_mix(SameClassMix(mode="regression", seed=0)(
        (indexed_images(4), targets))[0])
    np.testing.assert_array_equal(partners, [2, 3, 0, 1])


def test_regression_with_feature_fn_pairs_in_feature_space():
    images = indexed_images(4)
    targets = np.array([0.0, 1.0, 2.0, 3.0], "float32")
    # Features: row 0 near row 3 and row 1 near row 2, unlike the targets.
    codes = tf.constant([[0.0], [10.0], [11.0], [0.5]])

    def feature_fn(inputs):
        # Inputs come in [-1, 1]: the hot pixel of row i is 1, everything else -1.
        tf.debugging.assert_near(tf.reduce_max(inputs), 1.0)
        tf.debugging.assert_near(tf.reduce_min(inputs), -1.0)
        hot = tf.argmax(tf.reshape(inputs, (tf.shape(inputs)[0], -1)), axis=-1)
        return tf.gather(codes, hot)

    layer = SameClassMix(mode="regression", feature_fn=feature_fn, seed=0)
    out_images, out_targets = layer((images, targets))
    w, partners = read_mix(out_images)
    np.testing.assert_array_equal(partners, [3, 2, 1, 0])
    np.testing.assert_allclose(out_targets, w * targets + (1 - w) * targets[partners], atol=1e-6)


def test_integer_regression_targets_come_out_float():
    out = SameClassMix(mode="regression", seed=0)((indexed_images(4), np.array([1, 2, 5, 9])))
    assert out[1].dtype == "float32"


# ----------------------------------------------------------------- randomness, training
def test_same_seed_same_output_different_seed_different_output():
    images = indexed_images(len(CLASSES))

    def run(seed):
        return np.asarray(SameClassMix(seed=seed)((images, CLASSES))[0])

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


@pytest.mark.parametrize("mode", ["classification", "regression"])
def test_training_false_is_identity(mode):
    images = indexed_images(len(CLASSES))
    labels = CLASSES.astype("float32") if mode == "regression" else CLASSES
    out = SameClassMix(mode=mode, seed=0)({"images": images, "labels": labels}, training=False)
    np.testing.assert_array_equal(out["images"], images)
    np.testing.assert_array_equal(out["labels"], labels)


# ----------------------------------------------------------------- tf.data, models, XLA
@pytest.mark.parametrize("structure", ["dict", "tuple"])
def test_tf_data_map(structure):
    labels = np.array([0, 1, 0, 1, 2, 2, 0, 0, 1, 1, 2], "int32")
    images = indexed_images(len(labels))
    elements = {"images": images, "labels": labels} if structure == "dict" else (images, labels)
    layer = SameClassMix(seed=0)
    ds = tf.data.Dataset.from_tensor_slices(elements).batch(4).map(layer)
    assert ds.element_spec[0 if structure == "tuple" else "images"].shape.as_list() == [
        None, *IMAGE_SHAPE]
    sizes, offset = [], 0
    for element in ds:
        out_images, out_labels = (
            (element["images"], element["labels"]) if structure == "dict" else element
        )
        batch = len(out_images)
        sizes.append(batch)
        batch_labels = labels[offset:offset + batch]
        np.testing.assert_array_equal(out_labels, batch_labels)
        flat = np.asarray(out_images).reshape(batch, -1)[:, offset:offset + batch] / SCALE
        w, partners = read_mix(flat.reshape(batch, -1, 1, 1) * SCALE)
        np.testing.assert_array_equal(batch_labels[partners], batch_labels)
        offset += batch
    assert sizes == [4, 4, 3]


@pytest.mark.parametrize(("mode", "alpha"), [("classification", None),
                                             ("regression", None)])
def test_runs_under_xla(mode, alpha):
    images = indexed_images(len(CLASSES))
    labels = CLASSES.astype("float32") if mode == "regression" else CLASSES
    layer = SameClassMix(alpha=alpha, mode=mode, seed=0)
    mixed = tf.function(lambda x, y: layer((x, y)), jit_compile=True)(images, labels)
    w, partners = read_mix(mixed[0])
    if mode == "classification":
        np.testing.assert_array_equal(CLASSES[partners], CLASSES)
    else:
        np.testing.assert_array_equal(partners, nearest_partners(labels[:, None]))


def test_inside_a_functional_model():
    images_in = keras.Input(IMAGE_SHAPE)
    labels_in = keras.Input((), dtype="int32")
    mixed, labels_out = SameClassMix(seed=0)((images_in, labels_in))
    model = keras.Model([images_in, labels_in], [mixed, labels_out])
    images = indexed_images(len(CLASSES))

    predicted = model.predict([images, CLASSES], verbose=0)
    np.testing.assert_array_equal(predicted[0], images)  # predict(): identity
    mixed_images, mixed_labels = model([images, CLASSES], training=True)
    np.testing.assert_array_equal(mixed_labels, CLASSES)
    _, partners = read_mix(mixed_images)
    np.testing.assert_array_equal(CLASSES[partners], CLASSES)


# ----------------------------------------------------------------- config
def test_config_round_trip():
    layer = SameClassMix(alpha=0.3, mode="regression", value_range=(0, 255), seed=9, name="mix")
    config = json.loads(json.dumps(layer.get_config()))
    restored = SameClassMix.from_config(config)
    assert json.loads(json.dumps(restored.get_config())) == config
    assert config["alpha"] == 0.3 and config["value_range"] == [0.0, 255.0]
    images, targets = indexed_images(6), np.arange(6, dtype="float32")
    for a, b in zip(layer((images, targets)), restored((images, targets)), strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras_feature_fn_is_saved_with_the_layer_and_not_trained(tmp_path):
    features = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(),
                                 keras.layers.Dense(2, name="features")])
    layer = SameClassMix(mode="regression", feature_fn=features, seed=1)
    images_in = keras.Input(IMAGE_SHAPE)
    targets_in = keras.Input(())
    model = keras.Model([images_in, targets_in], layer((images_in, targets_in)))
    assert model.trainable_weights == []  # the feature network is not part of the model
    path = str(tmp_path / "mix.keras")
    model.save(path)

    loaded = keras.models.load_model(path)

    restored = next(lay for lay in loaded.layers if isinstance(lay, SameClassMix))
    images = indexed_images(5)
    np.testing.assert_allclose(restored.feature_fn(images), features(images), atol=1e-6)


def test_plain_callable_feature_fn_cannot_be_serialised():
    layer = SameClassMix(mode="regression", feature_fn=lambda x: x)
    with pytest.raises(ValueError, match="feature_fn"):
        layer.get_config()


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"alpha": 0.0}, "alpha"),
    ({"alpha": -1.0}, "alpha"),
    ({"alpha": "big"}, "alpha"),
    ({"mode": "ranking"}, "mode"),
    ({"value_range": (1, 0)}, "value_range"),
    ({"feature_fn": 3, "mode": "regression"}, "feature_fn"),
    ({"feature_fn": lambda x: x}, "feature_fn"),
])
def test_bad_arguments_raise_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SameClassMix(**kwargs)


@pytest.mark.parametrize(("images", "labels", "match"), [
    (np.zeros((4, 4, 1), "float32"), np.zeros(4, "int32"), "rank 4"),
    (np.zeros((4, *IMAGE_SHAPE), "float32"), np.zeros((4, 3, 1), "int32"), "labels"),
    (np.zeros((4, *IMAGE_SHAPE), "float32"), np.zeros((), "int32"), "labels"),
    (np.zeros((4, *IMAGE_SHAPE), "float32"), np.zeros(5, "int32"), "batch size"),
])
def test_bad_inputs_raise(images, labels, match):
    with pytest.raises(ValueError, match=match):
        SameClassMix(seed=0)((images, labels))


def test_input_without_labels_raises():
    with pytest.raises(ValueError, match="labels"):
        SameClassMix()({"images": indexed_images(2)})
