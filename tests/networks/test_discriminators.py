import keras
import numpy as np
import pytest

from tfgenaug.networks import ProjectionHead
from tfgenaug.networks import conditional_critic


def test_outputs():
    critic = conditional_critic((16, 16, 3), num_classes=4, width=4, aux_classifier=True)
    out = critic([np.zeros((2, 16, 16, 3), "float32"), np.array([0, 3])])
    assert tuple(out["logits"].shape) == (2,)
    assert tuple(out["class_logits"].shape) == (2, 4)


def test_projection_head_formula():
    head = ProjectionHead(num_classes=2)
    features = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")
    labels = np.array([1, 0])
    head([features, labels])
    head.dense.kernel.assign(np.array([[0.5], [1.0]], "float32"))
    head.dense.bias.assign(np.array([0.25], "float32"))
    head.embedding.assign(np.array([[1.0, 0.0], [0.0, 2.0]], "float32"))
    out = np.asarray(head([features, labels]))
    # dense: [2.75, 0.75]; projection: <e1, f0> = 4, <e0, f1> = 3
    np.testing.assert_allclose(out, [6.75, 3.75])


def test_label_matters():
    critic = conditional_critic((8, 8, 1), num_classes=3, width=4)
    images = np.random.RandomState(0).randn(1, 8, 8, 1).astype("float32")
    a = critic([images, np.array([0])])["logits"]
    b = critic([images, np.array([2])])["logits"]
    assert not np.allclose(a, b)


def test_serialises_with_custom_head():
    critic = conditional_critic((8, 8, 1), num_classes=3, width=4)
    clone = keras.Model.from_config(critic.get_config())
    assert isinstance(clone.get_layer("projection"), ProjectionHead)


def test_bad_dropout():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        conditional_critic((8, 8, 1), num_classes=3, dropout=1.0)
