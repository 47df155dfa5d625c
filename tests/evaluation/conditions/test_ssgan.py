"""The ssgan condition: a SemiSupervisedGAN's EMA classifier, on the labelled and the pool."""

import dataclasses

import numpy as np
import pytest

from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.conditions import ssgan

TINY = ssgan.SSGANRecipe(width_multiplier=0.05, batch_size=20)


@pytest.fixture
def graph_not_xla(monkeypatch):
    """The condition's SSGAN without XLA: its XLA step is tested in tests/trainers."""
    monkeypatch.setattr(ssgan, "JIT_COMPILE", False)


def test_the_rows_train_under_xla_as_when_their_cells_were_measured():
    assert ssgan.JIT_COMPILE is True


def test_the_condition_trains_on_labels_and_the_whole_pool_and_reports_the_classifier(
        monkeypatch, graph_not_xla):
    monkeypatch.setattr(ssgan, "DEFAULT_RECIPE", TINY)
    report = evaluate_condition(EvalConfig(condition="ssgan", count=2, seed=0, image_size=8,
                                           steps=2, width=4, batch_size=16))
    details = report["ssgan"]
    assert details["steps"] == 2 * TINY.steps_per
    assert details["unlabelled_images"] == 1258  # the 20 labelled and the 1238 left out
    assert set(details["final_losses"]) >= {"labelled_loss", "unlabelled_loss", "g_loss"}
    assert details["recipe"] == dataclasses.asdict(TINY)  # not the row's recipe
    assert 0.0 <= report["accuracy"] <= 1.0 and len(report["confusion_matrix"]) == 10


def _training_set(rng):
    images = rng.uniform(-1, 1, (6, 8, 8, 1)).astype(np.float32)
    pool = rng.uniform(-1, 1, (14, 8, 8, 1)).astype(np.float32)
    return registry.TrainingSet(images, np.array([0, 1, 2, 0, 1, 2]), 3,
                                (pool, np.zeros(14, np.int64)))


def test_augment_real_changes_the_images_and_keeps_the_labels():
    training = _training_set(np.random.default_rng(0))
    unlabelled = ssgan.unlabelled_images(training, 1.0, seed=0)
    plain = next(iter(ssgan.ssgan_batches(training, unlabelled, TINY, seed=0)))
    augmented = next(iter(ssgan.ssgan_batches(
        training, unlabelled, dataclasses.replace(TINY, augment_real=True), seed=0)))
    np.testing.assert_array_equal(plain[1], augmented[1])
    assert plain[0].shape == augmented[0].shape == (20, 8, 8, 1)
    assert np.abs(plain[0].numpy() - augmented[0].numpy()).max() > 0.1


def test_a_recipe_other_than_the_default_is_recorded_in_the_cell(graph_not_xla):
    training = _training_set(np.random.default_rng(1))
    recipe = dataclasses.replace(TINY, steps_per=1, unlabelled_weight=1.0, init_images=10)
    config = EvalConfig(condition="ssgan", count=2, seed=0, image_size=8, steps=2)
    details = ssgan.train_ssgan(config, training, recipe).details["ssgan"]
    assert details["recipe"] == dataclasses.asdict(recipe)
    assert details["steps"] == 2 and details["unlabelled_images"] == 20


def test_ssgan_self_training_fits_a_student_on_the_teachers_pseudo_labels(monkeypatch,
                                                                          graph_not_xla):
    from tfgenaug.evaluation.conditions import pseudo_labels

    monkeypatch.setattr(ssgan, "DEFAULT_RECIPE", TINY)
    monkeypatch.setattr(pseudo_labels, "PSEUDO_LABEL_THRESHOLD", 0.0)
    report = evaluate_condition(EvalConfig(condition="ssgan_self_training", count=2, seed=0,
                                           image_size=8, steps=2, width=4, batch_size=16))
    details = report["ssgan_self_training"]
    assert details["added"] % 10 == 0 and details["added"] <= 1238  # class-balanced, the pool
    assert (details["pseudo_label_accuracy"] is None) == (details["added"] == 0)
    assert 0.0 <= details["teacher_test_accuracy"] <= 1.0
    assert details["teacher"]["steps"] == 2 * TINY.steps_per
    assert report["training_counts"] == [2] * 10  # the labelled selection, as every row


def test_pool_fraction_keeps_a_seeded_share_of_the_pool_after_the_labelled_images():
    training = _training_set(np.random.default_rng(2))
    half = ssgan.unlabelled_images(training, 0.5, seed=0)
    assert half.shape == (6 + 7, 8, 8, 1)
    np.testing.assert_array_equal(half[:6], training.images)
    pool = training.pool[0].reshape(14, -1)
    assert all(any(np.array_equal(row, p) for p in pool) for row in half[6:].reshape(7, -1))
    np.testing.assert_array_equal(half, ssgan.unlabelled_images(training, 0.5, seed=0))
    assert not np.array_equal(half, ssgan.unlabelled_images(training, 0.5, seed=1))
    assert ssgan.unlabelled_images(training).shape == (20, 8, 8, 1)
    with pytest.raises(ValueError, match="pool_fraction must be in"):
        ssgan.unlabelled_images(training, 0.0)
