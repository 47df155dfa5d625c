"""Tests of `tfgenaug.trainers.adversarial` on tiny linear classifiers."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.trainers.adversarial import AdversarialTrainer
from tfgenaug.trainers.attacks import fgsm
from tfgenaug.trainers.attacks import pgd

SHAPE = (4, 4, 1)
K = 3
BATCH = 8
EPS = 0.1


def linear_model(seed: int = 0, num_classes: int = K) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(),
                             keras.layers.Dense(num_classes)])


def per_sample_loss(labels, logits):
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def batch(size: int = BATCH, seed: int = 0, low: float = -0.5, high: float = 0.5):
    """Images away from the clip bounds (-1, 1) and int32 labels."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(low, high, (size, *SHAPE)).astype("float32")
    labels = rng.integers(0, K, size).astype("int32")
    return images, labels


def losses(model, images, labels) -> np.ndarray:
    return np.asarray(per_sample_loss(labels, model(images, training=False)))


def linf(delta) -> np.ndarray:
    return np.abs(np.asarray(delta)).reshape(len(delta), -1).max(axis=1)


def l2(delta) -> np.ndarray:
    return np.sqrt((np.asarray(delta) ** 2).reshape(len(delta), -1).sum(axis=1))


# ----------------------------------------------------------------- the attacks
@pytest.mark.parametrize("loss_fn", [
    per_sample_loss, keras.losses.SparseCategoricalCrossentropy(from_logits=True)],
    ids=["per_sample", "mean"])
def test_fgsm_moves_every_value_by_epsilon_and_increases_the_loss(loss_fn):
    model = linear_model()
    images, labels = batch()
    adversarial = np.asarray(fgsm(model, images, labels, EPS, loss_fn))
    delta = adversarial - images
    np.testing.assert_allclose(np.abs(delta), EPS, rtol=1e-5)  # |delta|_inf = EPS everywhere
    np.testing.assert_allclose(linf(delta), EPS, rtol=1e-5)
    # The sign of the change is the sign of the gradient of the loss.
    with tf.GradientTape() as tape:
        x = tf.constant(images)
        tape.watch(x)
        total = tf.reduce_sum(per_sample_loss(labels, model(x)))
    np.testing.assert_array_equal(np.sign(delta), np.sign(tape.gradient(total, x)))
    assert np.all(losses(model, adversarial, labels) > losses(model, images, labels))


def test_fgsm_l2_has_norm_epsilon():
    model = linear_model()
    images, labels = batch()
    adversarial = fgsm(model, images, labels, EPS, per_sample_loss, norm="2")
    np.testing.assert_allclose(l2(np.asarray(adversarial) - images), EPS, rtol=1e-5)
    assert np.all(losses(model, adversarial, labels) > losses(model, images, labels))


def test_fgsm_clips_to_the_value_range():
    model = linear_model()
    images, labels = batch(low=-1.0, high=1.0)
    adversarial = np.asarray(fgsm(model, images, labels, 0.5, per_sample_loss))
    assert adversarial.min() >= -1.0 and adversarial.max() <= 1.0
    assert adversarial.min() == -1.0 and adversarial.max() == 1.0
    unclipped = np.asarray(fgsm(model, images, labels, 0.5, per_sample_loss, value_range=None))
    assert unclipped.min() < -1.0 and unclipped.max() > 1.0


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_stays_in_the_ball_and_increases_the_loss_at_least_as_fgsm(norm, random_start):
    model = linear_model()
    images, labels = batch(32)
    adversarial = np.asarray(pgd(model, images, labels, EPS, per_sample_loss, norm=norm,
                                 steps=10, random_start=random_start, seed=0))
    delta = adversarial - images
    size = linf(delta) if norm == "inf" else l2(delta)
    assert np.all(size <= EPS * (1 + 1e-5))
    assert adversarial.min() >= -1.0 and adversarial.max() <= 1.0
    clean = losses(model, images, labels)
    after_pgd = losses(model, adversarial, labels)
    after_fgsm = losses(model, fgsm(model, images, labels, EPS, per_sample_loss, norm=norm),
                        labels)
    assert np.all(after_pgd > clean)
    if not random_start:
        # From x, PGD's first step goes FGSM's way and the next ones keep climbing.
        assert after_pgd.mean() >= after_fgsm.mean()
        assert np.all(after_pgd >= after_fgsm - 1e-5)
    else:
        # A random start costs a little on a linear model, where FGSM is nearly optimal.
        assert after_pgd.mean() >= after_fgsm.mean() - 0.01


def test_pgd_with_one_full_step_is_fgsm():
    model = linear_model()
    images, labels = batch()
    for norm in ("inf", "2"):
        np.testing.assert_allclose(
            pgd(model, images, labels, EPS, per_sample_loss, norm=norm, steps=1,
                step_size=EPS, random_start=False),
            fgsm(model, images, labels, EPS, per_sample_loss, norm=norm), atol=1e-6)


def test_pgd_is_deterministic_with_a_seed_and_runs_under_xla():
    model = linear_model()
    images, labels = batch()

    def attack(x, y):
        return pgd(model, x, y, EPS, per_sample_loss, steps=3, seed=5)

    compiled = tf.function(attack, jit_compile=True)
    np.testing.assert_allclose(compiled(images, labels), compiled(images, labels))
    np.testing.assert_allclose(attack(images, labels), attack(images, labels))
    assert np.all(linf(np.asarray(compiled(images, labels)) - images) <= EPS * (1 + 1e-5))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"epsilon": -0.1}, "epsilon"),
    ({"epsilon": float("nan")}, "epsilon"),
    ({"norm": "1"}, "norm"),
    ({"steps": 0}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"step_size": 0.0}, "step_size"),
    ({"value_range": (1, -1)}, "value_range"),
])
def test_attack_arguments_are_checked(kwargs, match):
    images, labels = batch(2)
    arguments = {"epsilon": EPS, **kwargs}
    with pytest.raises(ValueError, match=match):
        pgd(linear_model(), images, labels, loss_fn=per_sample_loss, **arguments)
    if "steps" not in kwargs and "step_size" not in kwargs:
        with pytest.raises(ValueError, match=match):
            fgsm(linear_model(), images, labels, loss_fn=per_sample_loss, **arguments)


def test_norm_accepts_numbers():
    model = linear_model()
    images, labels = batch()
    np.testing.assert_array_equal(fgsm(model, images, labels, EPS, per_sample_loss, norm=2),
                                  fgsm(model, images, labels, EPS, per_sample_loss, norm="2"))
    np.testing.assert_array_equal(
        fgsm(model, images, labels, EPS, per_sample_loss, norm=math.inf),
        fgsm(model, images, labels, EPS, per_sample_loss, norm="inf"))


# ----------------------------------------------------------------- the trainer
def compiled_trainer(jit_compile: bool = False, **kwargs) -> AdversarialTrainer:
    trainer = AdversarialTrainer(linear_model(), epsilon=EPS, **kwargs)
    trainer.compile(optimizer=keras.optimizers.Adam(0.05),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"], jit_compile=jit_compile)
    return trainer


def nearest_rows(adversarial, images) -> np.ndarray:
    distance = np.abs(adversarial[:, None] - images[None]).reshape(
        len(adversarial), len(images), -1).max(axis=-1)
    return distance.argmin(axis=1), distance.min(axis=1)


@pytest.mark.parametrize("method", ["fgsm", "pgd"])
def test_append_adds_rate_share_of_adversarial_rows_with_their_labels(method):
    trainer = compiled_trainer(method=method, rate=0.5, mode="append", steps=2)
    images, labels = batch()
    weights = np.arange(BATCH, dtype="float32")
    out_images, out_labels, out_weights = (
        np.asarray(t) for t in trainer.adversarial_batch(images, labels, weights))
    assert out_images.shape == (BATCH + 4, *SHAPE)
    np.testing.assert_array_equal(out_images[:BATCH], images)
    np.testing.assert_array_equal(out_labels[:BATCH], labels)
    sources, distances = nearest_rows(out_images[BATCH:], images)
    assert len(set(sources)) == 4
    assert np.all(distances <= EPS * (1 + 1e-5)) and np.all(distances > 0)
    np.testing.assert_array_equal(out_labels[BATCH:], labels[sources])
    np.testing.assert_array_equal(out_weights[BATCH:], weights[sources])


@pytest.mark.parametrize(("rate", "changed"), [(0.0, 0), (0.25, 2), (0.5, 4), (1.0, 8)])
def test_replace_swaps_rate_share_of_rows_and_keeps_labels(rate, changed):
    trainer = compiled_trainer(rate=rate, mode="replace")
    images, labels = batch()
    out_images, out_labels, _ = trainer.adversarial_batch(images, labels)
    out_images = np.asarray(out_images)
    assert out_images.shape == images.shape
    np.testing.assert_array_equal(out_labels, labels)
    moved = linf(out_images - images)
    assert (moved > 0).sum() == changed
    np.testing.assert_allclose(moved[moved > 0], EPS, rtol=1e-5)


def test_attacked_rows_change_from_batch_to_batch():
    trainer = compiled_trainer(rate=0.25, mode="replace")
    images, labels = batch()
    masks = {tuple(linf(np.asarray(trainer.adversarial_batch(images, labels)[0]) - images) > 0)
             for _ in range(10)}
    assert len(masks) > 1


def separable_data(n: int = 96, seed: int = 1):
    """Three classes, each a different mean pixel pattern plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, K, n).astype("int32")
    patterns = rng.uniform(-0.6, 0.6, (K, *SHAPE)).astype("float32")
    images = patterns[labels] + rng.normal(0, 0.1, (n, *SHAPE)).astype("float32")
    return np.clip(images, -1, 1), labels


@pytest.mark.parametrize(("method", "mode"), [("fgsm", "append"), ("pgd", "replace")])
def test_fit_with_xla_reduces_the_loss(method, mode):
    trainer = compiled_trainer(jit_compile=True, method=method, mode=mode, steps=3)
    images, labels = separable_data()
    clean_before = trainer.evaluate(images, labels, verbose=0, return_dict=True)

    history = trainer.fit(images, labels, batch_size=16, epochs=6, verbose=0)

    loss = history.history["loss"]
    assert np.all(np.isfinite(loss)) and loss[-1] < 0.7 * loss[0]
    clean_after = trainer.evaluate(images, labels, verbose=0, return_dict=True)
    assert clean_after["loss"] < clean_before["loss"]
    # call() is the classifier: predict() sees clean data through the trained weights.
    np.testing.assert_allclose(trainer.predict(images, verbose=0),
                               trainer.classifier.predict(images, verbose=0), rtol=1e-5)


def test_config_round_trip():
    trainer = AdversarialTrainer(linear_model(), method="pgd", epsilon=0.2, steps=4,
                                 step_size=0.05, norm=2, rate=0.25, mode="replace",
                                 value_range=None, random_start=False, seed=3)
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(trainer)))
    restored = keras.saving.deserialize_keras_object(config)
    assert isinstance(restored, AdversarialTrainer)
    for name in ("method", "epsilon", "steps", "step_size", "norm", "rate", "mode",
                 "value_range", "random_start", "seed"):
        assert getattr(restored, name) == getattr(trainer, name), name
    assert restored.norm == "2"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"epsilon": -1.0}, "epsilon"),
    ({"rate": 1.5}, "rate"),
    ({"rate": -0.1}, "rate"),
    ({"method": "cw"}, "method"),
    ({"norm": "l1"}, "norm"),
    ({"steps": 0}, "steps"),
    ({"mode": "insert"}, "mode"),
    ({"step_size": -1.0}, "step_size"),
    ({"value_range": (0, 0)}, "value_range"),
])
def test_bad_trainer_arguments_raise_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdversarialTrainer(linear_model(), **kwargs)
