"""The ssgan_augment condition: GANAugment from a WGAN-GP trained on ssgan pseudo-labels."""

import numpy as np

from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.conditions import pseudo_labels
from tfgenaug.evaluation.conditions import ssgan
from tfgenaug.evaluation.conditions import ssgan_augment


class _Teacher:
    """Predicts class 0 for the first 20 pool images, class 1 for the next 20, confidently."""

    def predict(self, images, batch_size=None, verbose=0):
        logits = np.zeros((len(images), 2), np.float32)
        logits[:20, 0] = logits[20:40, 1] = 10.0
        logits[40:] = [0.1, 0.0]
        return logits


def test_pseudo_labelled_set_keeps_a_class_balanced_confident_share_and_scores_it():
    rng = np.random.default_rng(0)
    pool = (rng.uniform(-1, 1, (50, 8, 8, 1)).astype(np.float32),
            np.array([0] * 15 + [1] * 35))
    training = registry.TrainingSet(rng.uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32),
                                    np.array([0, 1, 0, 1]), 2, pool)
    taught = pseudo_labels.pseudo_labelled_set(_Teacher(), training, threshold=0.99)
    assert taught.details["added"] == 40  # 20 per class; the 10 unsure ones left out
    assert taught.images.shape == (44, 8, 8, 1)
    np.testing.assert_array_equal(taught.labels, [0, 1, 0, 1] + [0] * 20 + [1] * 20)
    assert taught.details["pseudo_label_accuracy"] == (15 + 20) / 40
    unknown = registry.TrainingSet(training.images, training.labels, 2,
                                   (pool[0], np.full(50, -1)))
    assert pseudo_labels.pseudo_labelled_set(
        _Teacher(), unknown, 0.99).details["pseudo_label_accuracy"] is None


def test_the_condition_trains_teacher_generator_and_student(monkeypatch):
    monkeypatch.setattr(ssgan, "DEFAULT_RECIPE",
                        ssgan.SSGANRecipe(width_multiplier=0.05, batch_size=20))
    monkeypatch.setattr(pseudo_labels, "PSEUDO_LABEL_THRESHOLD", 0.0)
    monkeypatch.setattr(ssgan_augment, "PSEUDO_LABEL_GAN_STEPS", 2)
    # Both networks without XLA (their XLA steps are tested in tests/trainers): compiling
    # them took ~13 of this test's ~30 s.
    monkeypatch.setattr(ssgan, "JIT_COMPILE", False)
    monkeypatch.setattr(ssgan_augment, "PSEUDO_LABEL_GAN_JIT_COMPILE", False)
    report = evaluate_condition(EvalConfig(condition="ssgan_augment", count=2, seed=0,
                                           image_size=8, steps=2, width=4, batch_size=16))
    details = report["ssgan_augment"]
    assert details["generator"]["steps"] == 2
    assert {"d_loss", "g_loss"} <= set(details["generator"]["final_losses"])
    assert all(np.isfinite(v) for v in details["generator"]["final_losses"].values())
    assert 0.0 <= details["teacher_test_accuracy"] <= 1.0 and details["added"] % 10 == 0
    assert 0.0 <= report["accuracy"] <= 1.0


def test_the_pseudo_label_generator_trains_under_xla_as_when_its_cells_were_measured():
    assert ssgan_augment.PSEUDO_LABEL_GAN_JIT_COMPILE is True
