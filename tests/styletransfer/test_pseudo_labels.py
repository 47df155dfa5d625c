"""Tests of `tfgenaug.styletransfer.pseudo_label`."""

import keras
import numpy as np
import pytest

from tfgenaug.styletransfer import pseudo_label


def _logit_teacher() -> keras.Model:
    """Its logits are its input: images (N, 1, 1, 3) hold their own logits."""
    return keras.Sequential([keras.Input((1, 1, 3)), keras.layers.Flatten()])


def _images(logits) -> np.ndarray:
    return np.asarray(logits, np.float32).reshape(-1, 1, 1, 3)


def test_images_below_the_threshold_are_dropped_and_counted():
    # Softmax top probabilities: ~0.9998, ~0.333, ~0.867, ~0.9933.
    logits = [[10, 1, 1], [0, 0, 0], [0, 3, 1], [0, 0, 5]]
    images = _images(logits)
    kept, labels, dropped = pseudo_label(_logit_teacher(), images, threshold=0.9)
    assert dropped == 2
    np.testing.assert_array_equal(labels, [0, 2])
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(kept, images[[0, 3]])
    kept, labels, dropped = pseudo_label(_logit_teacher(), images, threshold=0.3)
    assert dropped == 0 and labels.tolist() == [0, 0, 1, 2]


def test_probability_outputs_are_not_softmaxed_again():
    probabilities = _images([[0.1, 0.85, 0.05], [0.5, 0.3, 0.2]])
    _, labels, dropped = pseudo_label(_logit_teacher(), probabilities, threshold=0.8)
    assert labels.tolist() == [1] and dropped == 1


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5, True, "0.9"])
def test_threshold_outside_unit_interval_is_named(threshold):
    with pytest.raises(ValueError, match=r"threshold must be a number in \(0, 1\]"):
        pseudo_label(_logit_teacher(), _images([[1, 0, 0]]), threshold=threshold)
