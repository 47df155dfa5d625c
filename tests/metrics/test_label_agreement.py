import keras
import numpy as np
import pytest

from tfgenaug.metrics import label_agreement


def fixed_classifier():
    """Predicts the class encoded as the image's mean pixel value (0, 1 or 2)."""
    inputs = keras.Input((4, 4, 1))
    mean = keras.layers.GlobalAveragePooling2D()(inputs)
    logits = keras.layers.Lambda(lambda m: -keras.ops.abs(m - keras.ops.arange(3.0)))(mean)
    return keras.Model(inputs, logits)


def test_agreement_is_the_share_of_matching_predictions():
    images = np.stack([np.full((4, 4, 1), k, "float32") for k in (0, 1, 2, 2)])
    labels = np.array([0, 1, 2, 0])
    assert label_agreement(fixed_classifier(), images, labels) == pytest.approx(0.75)


def test_length_mismatch():
    with pytest.raises(ValueError, match="images and labels must be non-empty and of equal"):
        label_agreement(fixed_classifier(), np.zeros((2, 4, 4, 1), "float32"), np.array([0]))
