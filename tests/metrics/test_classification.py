import json
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf
from sklearn import metrics as skm

from tfgenaug.metrics import classification_accuracy_score
from tfgenaug.metrics import classification_report
from tfgenaug.metrics import confusion_matrix_png

Y_TRUE = [0, 0, 1, 1, 1, 2]
Y_PRED = [0, 1, 1, 1, 0, 1]  # class 2 is never predicted


def test_report_against_hand_computed_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = classification_report(Y_TRUE, Y_PRED, num_classes=3, minority_classes=[2])
    assert report["confusion_matrix"] == [[1, 1, 0], [1, 2, 0], [0, 1, 0]]
    assert report["num_samples"] == 6
    assert report["support"] == [2, 3, 1]
    assert report["accuracy"] == pytest.approx(0.5)
    np.testing.assert_allclose(report["recall"], [1 / 2, 2 / 3, 0.0])
    np.testing.assert_allclose(report["precision"], [1 / 2, 2 / 4, 0.0])
    np.testing.assert_allclose(report["f1"], [1 / 2, 4 / 7, 0.0])
    assert report["balanced_accuracy"] == pytest.approx(np.mean(report["recall"]))
    assert report["balanced_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 3)
    assert report["macro_f1"] == pytest.approx((1 / 2 + 4 / 7) / 3)
    assert report["minority_classes"] == [2]
    assert report["minority_recall"] == 0.0
    json.dumps(report)


def test_minority_recall_is_mean_over_given_classes():
    report = classification_report(Y_TRUE, Y_PRED, num_classes=3, minority_classes=[2, 1])
    assert report["minority_recall"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert report["minority_classes"] == [1, 2]
    assert classification_report(Y_TRUE, Y_PRED, 3)["minority_recall"] is None


def test_report_matches_sklearn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, 300)
    y_pred = np.where(rng.uniform(size=300) < 0.6, y_true, rng.integers(0, 4, 300))
    report = classification_report(y_true, y_pred, num_classes=5)
    assert report["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert report["balanced_accuracy"] == pytest.approx(
        skm.balanced_accuracy_score(y_true, y_pred)
    )
    np.testing.assert_allclose(
        report["f1"], skm.f1_score(y_true, y_pred, average=None, zero_division=0)
    )
    np.testing.assert_allclose(
        report["precision"], skm.precision_score(y_true, y_pred, average=None, zero_division=0)
    )
    np.testing.assert_allclose(
        report["recall"], skm.recall_score(y_true, y_pred, average=None, zero_division=0)
    )
    assert report["macro_f1"] == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro", zero_division=0)
    )
    np.testing.assert_array_equal(
        report["confusion_matrix"], skm.confusion_matrix(y_true, y_pred, labels=range(5))
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "message"),
    [
        ([0, 1], [0], {}, "y_true and y_pred must have the same length; got 2 and 1"),
        ([0, 3], [0, 1], {}, r"y_true must lie in \[0, 3\)"),
        ([0, 1], [-1, 1], {}, r"y_pred must lie in \[0, 3\)"),
        ([], [], {}, "must not be empty"),
        ([0, 1], [0, 1], {"minority_classes": [5]}, r"minority_classes must lie in \[0, 3\)"),
        ([0.5, 1], [0, 1], {}, "y_true must hold integer class ids"),
    ],
)
def test_report_errors(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        classification_report(y_true, y_pred, num_classes=3, **kwargs)


def intensity_images(labels, rng):
    """8x8 images whose constant intensity (-0.8, 0, 0.8) encodes the class, plus noise."""
    levels = np.array([-0.8, 0.0, 0.8], "float32")[labels]
    noise = rng.normal(0, 0.05, (len(labels), 8, 8, 1)).astype("float32")
    return np.clip(levels[:, None, None, None] + noise, -1, 1)


def test_cas_on_separable_data():
    # small_cnn's batch-norm moving statistics need a few hundred steps to settle
    # (momentum 0.99), hence tiny batches: 144 images / 4 x 15 epochs = 540 steps.
    rng = np.random.default_rng(0)
    train_labels = np.tile([0, 1, 2], 48)
    test_labels = np.tile([0, 1, 2], 20)
    cas = classification_accuracy_score(
        intensity_images(train_labels, rng),
        train_labels,
        intensity_images(test_labels, rng),
        test_labels,
        num_classes=3,
        epochs=15,
        batch_size=4,
    )
    assert cas > 0.9


def test_cas_input_errors():
    images = np.zeros((4, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="generated_images must be a non-empty"):
        classification_accuracy_score(images, [0, 1], images, [0, 1, 0, 1], num_classes=2)
    with pytest.raises(ValueError, match=r"real_test_labels must lie in \[0, 2\)"):
        classification_accuracy_score(images, [0, 1, 0, 1], images, [0, 1, 2, 1], num_classes=2)
    with pytest.raises(ValueError, match="same image shape"):
        classification_accuracy_score(
            images, [0, 1, 0, 1], np.zeros((4, 6, 6, 1), "float32"), [0, 1, 0, 1], num_classes=2
        )


def test_confusion_matrix_png(tmp_path):
    report = classification_report(Y_TRUE, Y_PRED, num_classes=3)
    path = confusion_matrix_png(
        report["confusion_matrix"], tmp_path / "plots" / "cm.png", class_names=["a", "b", "c"]
    )
    data = tf.io.read_file(path)
    image = tf.io.decode_png(data)
    assert image.shape[0] > 0 and image.shape[1] > 0
    assert int(tf.reduce_min(image)) < int(tf.reduce_max(image))  # not blank


def test_confusion_matrix_png_errors(tmp_path):
    with pytest.raises(ValueError, match="matrix must be a non-empty square"):
        confusion_matrix_png(np.zeros((2, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="class_names must have one name per class"):
        confusion_matrix_png(np.eye(2), tmp_path / "x.png", class_names=["a"])


def test_confusion_matrix_png_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="`matplotlib` package"):
        confusion_matrix_png(np.eye(2), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
