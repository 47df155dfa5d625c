"""Tests of `tfgenaug.selftrain` on synthetic three-class data and a linear model."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.selftrain import generated_pool
from tfgenaug.selftrain import select_confident
from tfgenaug.selftrain import self_train

SHAPE = (4, 4, 1)
K = 3
FIT = {"epochs": 8, "batch_size": 16, "verbose": 0}
_PATTERNS = np.random.default_rng(42).choice([-1.0, 1.0], (K, *SHAPE)).astype("float32")


def make_data(n: int, seed: int, noise: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Class patterns plus strong noise: most samples are easy, some ambiguous."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype="int32") % K
    images = _PATTERNS[labels] * 0.5 + rng.normal(0, noise, (n, *SHAPE)).astype("float32")
    return images, labels


def split():
    labelled = make_data(15, seed=1)
    pool, pool_labels = make_data(150, seed=2)
    validation = make_data(60, seed=3)
    return labelled, pool, pool_labels, validation


class Builder:
    """Builds compiled linear models and remembers them."""

    def __init__(self, softmax: bool = True):
        self.softmax = softmax
        self.models = []

    def __call__(self) -> keras.Model:
        model = keras.Sequential([
            keras.Input(SHAPE), keras.layers.Flatten(),
            keras.layers.Dense(K, activation="softmax" if self.softmax else None)])
        model.compile(keras.optimizers.Adam(0.05),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=not self.softmax))
        self.models.append(model)
        return model


def probabilities(model, images, softmax: bool) -> np.ndarray:
    outputs = np.asarray(model.predict(images, verbose=0), np.float64)
    if softmax:
        return outputs
    exp = np.exp(outputs - outputs.max(-1, keepdims=True))
    return exp / exp.sum(-1, keepdims=True)


def remaining_before(result, round_index: int, pool_size: int) -> np.ndarray:
    taken = np.concatenate([np.zeros(0, np.int64), *result.added_indices[:round_index]])
    return np.setdiff1d(np.arange(pool_size), taken)


def segments(result, labelled_size: int):
    """`(indices, pseudo_labels)` of each round's additions, read from the result."""
    start = labelled_size
    for indices in result.added_indices:
        yield indices, result.labels[start:start + len(indices)]
        start += len(indices)


# ----------------------------------------------------------------- selection
@pytest.mark.parametrize("softmax", [True, False], ids=["probabilities", "logits"])
def test_only_above_threshold_samples_are_added_balanced_and_most_confident_first(softmax):
    labelled, pool, pool_labels, _ = split()
    builder = Builder(softmax)
    threshold = 0.8

    result = self_train(builder, labelled, pool, rounds=2, threshold=threshold,
                        fit_kwargs=FIT, seed=0)

    assert len(builder.models) == len(result.history)
    assert sum(len(i) for i in result.added_indices) > 0, "the data should allow additions"
    for round_index, (indices, pseudo) in enumerate(segments(result, len(labelled[0]))):
        remaining = remaining_before(result, round_index, len(pool))
        probs = probabilities(builder.models[round_index], pool[remaining], softmax)
        confidence, predicted = probs.max(-1), probs.argmax(-1)
        by_index = dict(zip(remaining, range(len(remaining)), strict=True))
        rows = np.array([by_index[i] for i in indices])
        assert np.all(confidence[rows] >= threshold)
        np.testing.assert_array_equal(pseudo, predicted[rows])
        counts = np.bincount(pseudo, minlength=K)
        eligible = np.bincount(predicted[confidence >= threshold], minlength=K)
        assert np.all(counts == eligible.min()), (counts, eligible)
        # Within each class, the added ones are the most confident of the eligible.
        for cls in range(K):
            kept = confidence[rows[pseudo == cls]]
            left_out = np.setdiff1d(np.flatnonzero(predicted == cls), rows)
            if len(kept) and len(left_out):
                assert kept.min() >= confidence[left_out].max()


def test_unbalanced_top_k_without_threshold():
    labelled, pool, _, _ = split()
    builder = Builder()
    result = self_train(builder, labelled, pool, rounds=1, threshold=None, per_class_top_k=7,
                        class_balanced=False, fit_kwargs=FIT)
    predicted = builder.models[0].predict(pool, verbose=0).argmax(-1)
    expected = np.minimum(np.bincount(predicted, minlength=K), 7)
    assert result.history[0]["added_per_class"] == expected.tolist()
    assert result.history[0]["added"] == expected.sum()


def test_select_confident_hand_made():
    probs = np.array([[0.95, 0.05, 0.0], [0.2, 0.8, 0.0], [0.99, 0.01, 0.0], [0.1, 0.9, 0.0],
                      [0.0, 0.05, 0.95], [0.0, 0.96, 0.04], [0.93, 0.0, 0.07]])
    np.testing.assert_array_equal(select_confident(probs, 0.9), [2, 5, 4])
    np.testing.assert_array_equal(select_confident(probs, 0.9, class_balanced=False),
                                  [2, 0, 6, 5, 3, 4])
    np.testing.assert_array_equal(select_confident(probs, 0.9, per_class_top_k=2,
                                                   class_balanced=False), [2, 0, 5, 3, 4])
    np.testing.assert_array_equal(select_confident(probs, None, per_class_top_k=1), [2, 5, 4])
    # A class nobody is confidently predicted as: balanced adds nothing.
    assert len(select_confident(probs[:4], 0.9)) == 0


# ----------------------------------------------------------------- history
def test_history_fields_and_accuracies():
    labelled, pool, pool_labels, validation = split()
    builder = Builder()
    result = self_train(builder, labelled, pool, rounds=2, threshold=0.7, fit_kwargs=FIT,
                        validation=validation, unlabelled_labels=pool_labels, seed=1)

    keys = {"round", "labelled_size", "pool_size", "val_accuracy", "pool_accuracy", "added",
            "added_per_class", "pseudo_label_accuracy", "pseudo_label_accuracy_total"}
    assert all(set(entry) == keys for entry in result.history)
    assert [entry["round"] for entry in result.history] == list(range(len(result.history)))
    assert len(result.history) == 3, "two rounds that add samples, then the final fit"
    size, pool_size, correct, total = len(labelled[0]), len(pool), 0, 0
    added = list(segments(result, size))
    for round_index, entry in enumerate(result.history):
        model = builder.models[round_index]
        assert entry["labelled_size"] == size and entry["pool_size"] == pool_size
        val_predicted = model.predict(validation[0], verbose=0).argmax(-1)
        assert entry["val_accuracy"] == pytest.approx(np.mean(val_predicted == validation[1]))
        remaining = remaining_before(result, round_index, len(pool))
        pool_predicted = model.predict(pool[remaining], verbose=0).argmax(-1)
        assert entry["pool_accuracy"] == pytest.approx(
            np.mean(pool_predicted == pool_labels[remaining]))
        if round_index == len(added):  # the final fit selects nothing
            assert entry["added"] == 0 and entry["added_per_class"] == [0] * K
            assert entry["pseudo_label_accuracy"] is None
            assert entry["pseudo_label_accuracy_total"] == pytest.approx(correct / total)
            break
        indices, pseudo = added[round_index]
        assert entry["added"] == len(indices) > 0
        assert entry["added_per_class"] == np.bincount(pseudo, minlength=K).tolist()
        round_correct = int(np.sum(pseudo == pool_labels[indices]))
        correct, total = correct + round_correct, total + len(indices)
        assert entry["pseudo_label_accuracy"] == pytest.approx(round_correct / len(indices))
        assert entry["pseudo_label_accuracy_total"] == pytest.approx(correct / total)
        size, pool_size = size + len(indices), pool_size - len(indices)
    assert len(result.images) == len(result.labels) == size
    np.testing.assert_array_equal(result.images[:len(labelled[0])], labelled[0])
    np.testing.assert_array_equal(result.labels[:len(labelled[0])], labelled[1])
    all_added = np.concatenate(result.added_indices)
    assert len(set(all_added.tolist())) == len(all_added), "a pool sample is added once"
    np.testing.assert_array_equal(result.images[len(labelled[0]):], pool[all_added])


def test_validation_images_never_enter_the_labelled_set():
    labelled, pool, _, validation = split()
    builder = Builder()
    result = self_train(builder, labelled, pool, rounds=2, threshold=0.6, fit_kwargs=FIT,
                        validation=validation)
    assert sum(entry["added"] for entry in result.history) > 0
    validation_rows = {row.tobytes() for row in validation[0]}
    assert not any(row.tobytes() in validation_rows for row in result.images)
    # Every training row is a labelled image or a pool image.
    allowed = {row.tobytes() for row in np.concatenate([labelled[0], pool])}
    assert all(row.tobytes() in allowed for row in result.images)


def test_validation_overlapping_the_training_data_is_refused():
    labelled, pool, _, validation = split()
    leaky = (np.concatenate([validation[0], pool[:1]]), np.concatenate([validation[1], [0]]))
    with pytest.raises(ValueError, match="validation shares 1 image"):
        self_train(Builder(), labelled, pool, validation=leaky, fit_kwargs=FIT)
    leaky = (np.concatenate([validation[0], labelled[0][:2]]), np.concatenate(
        [validation[1], labelled[1][:2]]))
    with pytest.raises(ValueError, match="labelled"):
        self_train(Builder(), labelled, pool, validation=leaky, fit_kwargs=FIT)


def test_continue_training_builds_one_model():
    labelled, pool, _, _ = split()
    builder = Builder()
    result = self_train(builder, labelled, pool, rounds=2, threshold=0.7, fit_kwargs=FIT,
                        continue_training=True)
    assert len(builder.models) == 1 and result.model is builder.models[0]
    assert len(result.history) == 3


def test_same_seed_same_history():
    labelled, pool, pool_labels, _ = split()

    def run():
        return self_train(Builder(), labelled, pool, rounds=1, threshold=0.7, fit_kwargs=FIT,
                          unlabelled_labels=pool_labels, seed=5)

    first, again = run(), run()
    assert first.history == again.history
    np.testing.assert_array_equal(first.added_indices[0], again.added_indices[0])


# ----------------------------------------------------------------- GAN samples as the pool
def test_generated_pool_as_the_unlabelled_pool():
    calls = []

    def generator(labels):
        calls.append(len(labels))
        rng = np.random.default_rng(len(calls))
        return _PATTERNS[labels] * 0.5 + rng.normal(0, 0.5, (len(labels), *SHAPE))

    images, classes = generated_pool(generator, num_per_class=20, num_classes=K, seed=0,
                                     batch_size=25)
    assert images.shape == (60, *SHAPE) and images.dtype == np.float32
    assert np.bincount(classes).tolist() == [20, 20, 20]
    assert calls == [25, 25, 10]
    assert not np.all(np.diff(classes) >= 0), "shuffled, not sorted by class"
    nearest = np.argmax(images.reshape(60, -1) @ _PATTERNS.reshape(K, -1).T, axis=1)
    assert np.mean(nearest == classes) > 0.9, "images belong to the classes returned"

    labelled, _, _, validation = split()
    result = self_train(Builder(), labelled, images, rounds=1, threshold=0.7, fit_kwargs=FIT,
                        unlabelled_labels=classes, validation=validation)
    entry = result.history[0]
    assert entry["added"] > 0 and 0.0 <= entry["pseudo_label_accuracy"] <= 1.0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"num_per_class": 0}, "num_per_class"),
    ({"num_classes": 0}, "num_classes"),
    ({"batch_size": 0}, "batch_size"),
    ({"generator": "trainer"}, "generator"),
    ({"generator": lambda labels: np.zeros((1, *SHAPE))}, "one image per label"),
])
def test_generated_pool_bad_arguments(kwargs, match):
    arguments = {"generator": lambda labels: np.zeros((len(labels), *SHAPE)),
                 "num_per_class": 2, "num_classes": K, **kwargs}
    with pytest.raises(ValueError, match=match):
        generated_pool(**arguments)


# ----------------------------------------------------------------- errors
def _bad(name):
    labelled, pool, pool_labels, validation = split()
    return {
        "threshold_zero": ({"threshold": 0.0}, "threshold"),
        "threshold_above_one": ({"threshold": 1.5}, "threshold"),
        "rounds": ({"rounds": 0}, "rounds"),
        "top_k": ({"per_class_top_k": 0}, "per_class_top_k"),
        "neither": ({"threshold": None}, "threshold and/or per_class_top_k"),
        "empty_pool": ({"unlabelled": pool[:0]}, "unlabelled pool"),
        "labelled_lengths": ({"labelled": (labelled[0], labelled[1][:-1])}, "same length"),
        "pool_labels_length": ({"unlabelled_labels": pool_labels[:-1]}, "unlabelled_labels"),
        "validation_lengths": ({"validation": (validation[0][:5], validation[1])},
                               "validation"),
        "pool_shape": ({"unlabelled": pool[:, :2]}, "unlabelled images"),
        "label_range": ({"labelled": (labelled[0], labelled[1] + 1)}, r"labelled labels.*\[0, 3\)"),
        "one_hot_labels": ({"labelled": (labelled[0], np.eye(K)[labelled[1]])}, "class ids"),
    }[name]


@pytest.mark.parametrize("name", [
    "threshold_zero", "threshold_above_one", "rounds", "top_k", "neither", "empty_pool",
    "labelled_lengths", "pool_labels_length", "validation_lengths", "pool_shape",
    "label_range", "one_hot_labels"])
def test_bad_arguments_raise_naming_them(name):
    labelled, pool, _, _ = split()
    kwargs, match = _bad(name)
    arguments = {"labelled": labelled, "unlabelled": pool, "fit_kwargs": FIT, **kwargs}
    builder = Builder()
    with pytest.raises(ValueError, match=match):
        self_train(builder, arguments.pop("labelled"), arguments.pop("unlabelled"), **arguments)
    if name != "label_range":
        assert builder.models == [], "checked before any model is built"


# ----------------------------------------------------------------- a custom fit, one seed
class InitialWeights(Builder):
    """A `Builder` that also keeps each model's weights as built, before any fit."""

    def __init__(self):
        super().__init__()
        self.initial = []

    def __call__(self) -> keras.Model:
        model = super().__call__()
        self.initial.append([w.numpy().copy() for w in model.weights])
        return model


def test_a_custom_fit_replaces_model_fit_on_the_growing_labelled_set():
    labelled, pool, _, _ = split()
    builder = Builder()
    fits = []

    def fit(model, images, labels):
        fits.append((model, images.copy(), labels.copy()))
        model.fit(images, labels, **FIT)

    result = self_train(builder, labelled, pool, rounds=2, threshold=0.7, fit=fit)
    assert [model for model, _, _ in fits] == builder.models
    assert [len(images) for _, images, _ in fits] == [e["labelled_size"] for e in result.history]
    np.testing.assert_array_equal(fits[-1][1], result.images)
    np.testing.assert_array_equal(fits[-1][2], result.labels)


def test_fit_and_fit_kwargs_together_are_refused():
    labelled, pool, _, _ = split()
    with pytest.raises(ValueError, match="give fit or fit_kwargs, not both"):
        self_train(Builder(), labelled, pool, fit=lambda *_: None, fit_kwargs=FIT)
    with pytest.raises(ValueError, match="fit must be a callable"):
        self_train(Builder(), labelled, pool, fit="model.fit")


@pytest.mark.parametrize("vary_seed", [True, False])
def test_vary_seed_false_starts_every_round_from_the_same_weights(vary_seed):
    labelled, pool, _, _ = split()
    builder = InitialWeights()
    self_train(builder, labelled, pool, rounds=2, threshold=0.7, fit_kwargs=FIT, seed=3,
               vary_seed=vary_seed)
    assert len(builder.initial) >= 2
    first, second = builder.initial[:2]
    same = all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert same is (not vary_seed)


def test_predict_probabilities_replaces_model_predict_and_keeps_its_dtype():
    labelled, pool, _, _ = split()
    row_of = {image.tobytes(): row for row, image in enumerate(pool)}
    calls = []

    def predict(model, images):
        calls.append(len(images))
        probabilities = np.full((len(images), K), 1 / K, np.float32)
        for i, image in enumerate(images):
            row = row_of[image.tobytes()]
            if row < 6:  # exactly float32(0.95): at the threshold in float32, below in float64
                probabilities[i] = np.float32(0.025)
                probabilities[i, row % K] = np.float32(0.95)
        return probabilities

    result = self_train(Builder(), labelled, pool, rounds=1, threshold=0.95, fit_kwargs=FIT,
                        predict_probabilities=predict)
    assert calls == [len(pool)]
    np.testing.assert_array_equal(result.added_indices[0], [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(result.labels[len(labelled[1]):], [0, 0, 1, 1, 2, 2])


def test_predict_probabilities_must_be_callable_and_return_a_matrix():
    labelled, pool, _, _ = split()
    with pytest.raises(ValueError, match="predict_probabilities must be a callable"):
        self_train(Builder(), labelled, pool, predict_probabilities=0.5)
    with pytest.raises(ValueError, match=r"predict_probabilities must return \(N, K\)"):
        self_train(Builder(), labelled, pool, fit_kwargs=FIT,
                   predict_probabilities=lambda model, images: np.ones(len(images)))


@pytest.mark.parametrize("case, message", [
    ("nan_labelled", "labelled images must be finite (no NaN or Inf values); got 1 non-finite"),
    ("nan_pool", "unlabelled images must be finite"),
    ("pool_in_pixels", "unlabelled images must be on the labelled images' scale"),
    ("validation_in_pixels", "validation images must be on the labelled images' scale"),
    ("pool_dataset", "unlabelled must be NumPy arrays, not a tf.data.Dataset: materialise"),
    ("labelled_dataset", "labelled must be NumPy arrays, not a tf.data.Dataset"),
])
def test_bad_images_are_named_before_any_fit(case, message):
    # Each of these trained without a word before: NaN weights that then selected
    # nothing, or a pool on another scale pseudo-labelled by a model that never saw it.
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(12, 4, 4, 1)).astype("float32")
    labels = np.arange(12) % 3
    pool = rng.uniform(size=(6, 4, 4, 1)).astype("float32")
    validation = None
    if case == "nan_labelled":
        images[0, 0, 0, 0] = np.nan
    elif case == "nan_pool":
        pool[1] = np.inf
    elif case == "pool_in_pixels":
        pool = (pool * 255).astype("uint8")
    elif case == "validation_in_pixels":
        validation = (images[:3] * 255 + 1, labels[:3])
    elif case == "pool_dataset":
        pool = tf.data.Dataset.from_tensor_slices(pool)
    labelled = (tf.data.Dataset.from_tensor_slices((images, labels))
                if case == "labelled_dataset" else (images, labels))

    def never_built():
        raise AssertionError("a model was built")

    with pytest.raises(ValueError, match=re.escape(message)):
        self_train(never_built, labelled, pool, validation=validation)
