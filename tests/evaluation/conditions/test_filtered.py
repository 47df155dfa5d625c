"""wgan_gp_filtered: the teacher filter and the half-real, half-kept batches."""

import keras
import numpy as np
import pytest

from tfgenaug.evaluation import batches
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.conditions import filtered as filtered_condition


def fixed_logit_teacher(logits: np.ndarray) -> keras.Model:
    """A model mapping image i (a one-hot of length N, flattened) to logits[i]."""
    n, k = logits.shape
    model = keras.Sequential([keras.Input((n, 1, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(k, use_bias=False)])
    model.layers[-1].kernel.assign(logits.astype(np.float32))
    return model


def test_keeps_only_confident_agreement_with_the_generated_class():
    # probabilities of class 0 / 1: 0.95 (agree, confident), 0.6 (agree, unsure),
    # 0.05 -> class 1 confident but generated as 0 (disagree), and a confident class 1.
    p = np.array([0.95, 0.6, 0.05, 0.02])
    logits = np.stack([np.log(p), np.log(1 - p)], axis=1)
    images = np.eye(4, dtype=np.float32).reshape(4, 4, 1, 1)
    teacher = fixed_logit_teacher(logits)
    keep = filtered_condition.filter_by_teacher(images, [0, 0, 0, 1], teacher, 0.9)
    np.testing.assert_array_equal(keep, [True, False, False, True])
    keep = filtered_condition.filter_by_teacher(images, [0, 0, 0, 1], teacher, 0.5)
    np.testing.assert_array_equal(keep, [True, True, False, True])


@pytest.mark.parametrize("threshold", [0.0, 1.5, -0.1, True])
def test_threshold_outside_zero_one_is_named(threshold):
    teacher = fixed_logit_teacher(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"threshold must be a number in \(0, 1\]"):
        filtered_condition.filter_by_teacher(np.zeros((2, 2, 1, 1)), [0, 1], teacher,
                                             threshold)


def test_images_and_labels_of_other_lengths_are_refused():
    teacher = fixed_logit_teacher(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="same length"):
        filtered_condition.filter_by_teacher(np.zeros((2, 2, 1, 1)), [0], teacher, 0.9)


def test_batches_are_half_real_then_half_generated():
    real = (np.full((6, 2, 2, 1), -1.0, np.float32), np.arange(6) % 3)
    generated = (np.full((10, 2, 2, 1), 1.0, np.float32), np.arange(10) % 3)
    ds = filtered_condition.half_and_half_batches(real, generated, batch_size=8, seed=0)
    for images, labels in ds.take(5):
        assert images.shape == (8, 2, 2, 1) and labels.shape == (8,)
        np.testing.assert_array_equal(images[:4].numpy().reshape(4, -1).max(axis=1), -1.0)
        np.testing.assert_array_equal(images[4:].numpy().reshape(4, -1).min(axis=1), 1.0)


def test_the_condition_samples_the_wgan_gp_run_and_makes_its_own_batches():
    assert registry.generator_trainer("wgan_gp_filtered") == "wgan_gp"
    with pytest.raises(ValueError, match="makes its own batches"):
        batches.training_batches(np.zeros((4, 8, 8, 1), np.float32), np.arange(4),
                                 "wgan_gp_filtered", batch_size=2, seed=0, num_classes=4,
                                 generator="unused")
