"""Classifier quality: per-class report, Classification Accuracy Score, confusion-matrix PNG."""

import os
from collections.abc import Sequence

import numpy as np

from tfgenaug.metrics.frechet import _check_class_ids
from tfgenaug.metrics.label_agreement import train_reference_classifier
from tfgenaug.validation import check_positive_int


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def classification_report(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    num_classes: int,
    minority_classes: Sequence[int] | None = None,
) -> dict:
    """Accuracy, balanced accuracy, per-class precision/recall/F1 and confusion matrix.

    Undefined ratios (a class never predicted → precision, a class absent from
    `y_true` → recall, both 0 → F1) are reported as 0 without warnings. Balanced
    accuracy is the mean recall over the classes present in `y_true`, and macro F1 the
    mean F1 over the classes present in `y_true` or `y_pred` (both as in
    scikit-learn's defaults). All values are plain Python types (JSON-serialisable).

    Args:
        y_true: int true class ids `(N,)` in [0, num_classes).
        y_pred: int predicted class ids `(N,)` in [0, num_classes).
        num_classes: int. Number of classes K.
        minority_classes: optional class ids whose mean recall is reported as
            `"minority_recall"` (averaged over those present in `y_true`; NaN if none).

    Returns:
        A dict with keys `"num_samples"`, `"accuracy"`, `"balanced_accuracy"`,
        `"macro_f1"`, `"precision"`, `"recall"`, `"f1"`, `"support"` (lists of K
        values), `"confusion_matrix"` (K lists of K ints, rows = true class,
        columns = predicted class), `"minority_classes"` (list or None) and
        `"minority_recall"` (float, or None when `minority_classes` is None).

    Raises:
        ValueError: `num_classes` is not a positive integer, `y_true` and `y_pred`
            differ in length or are empty, or a label or minority class lies outside
            [0, num_classes).

    Example:
    ```python
    logits = classifier.predict(x_test)
    report = classification_report(y_test, logits.argmax(-1), 10, minority_classes=[3, 7])
    print(report["balanced_accuracy"], report["minority_recall"])
    ```
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    y_true = _check_class_ids(y_true, num_classes, "y_true")
    y_pred = _check_class_ids(y_pred, num_classes, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same length; got {len(y_true)} and {len(y_pred)}"
        )
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred must not be empty")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    true_positives = np.diag(matrix)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = _safe_divide(true_positives, predicted)
    recall = _safe_divide(true_positives, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    present = support > 0
    seen = present | (predicted > 0)
    report = {
        "num_samples": int(len(y_true)),
        "accuracy": float(true_positives.sum() / len(y_true)),
        "balanced_accuracy": float(recall[present].mean()),
        "macro_f1": float(f1[seen].mean()),
        "precision": [float(v) for v in precision],
        "recall": [float(v) for v in recall],
        "f1": [float(v) for v in f1],
        "support": [int(v) for v in support],
        "confusion_matrix": matrix.tolist(),
        "minority_classes": None,
        "minority_recall": None,
    }
    if minority_classes is not None:
        minority = _check_class_ids(list(minority_classes), num_classes, "minority_classes")
        if minority.size == 0:
            raise ValueError("minority_classes must not be empty when given")
        minority = np.unique(minority)
        minority_present = minority[present[minority]]
        report["minority_classes"] = [int(k) for k in minority]
        report["minority_recall"] = (
            float(recall[minority_present].mean()) if minority_present.size else float("nan")
        )
    return report


def classification_accuracy_score(
    generated_images: np.ndarray,
    generated_labels: np.ndarray,
    real_test_images: np.ndarray,
    real_test_labels: np.ndarray,
    num_classes: int,
    epochs: int = 20,
    batch_size: int = 64,
    seed: int = 0,
) -> float:
    """Classification Accuracy Score (CAS): train on generated data only, test on real.

    Ravuri & Vinyals 2019. Trains `tfgenaug.networks.small_cnn` (through
    `train_reference_classifier`) on the generated images and their conditioning
    labels, then reports its accuracy on held-out real images. A high CAS means the
    generated data carries the class information of the real data.

    Args:
        generated_images: float32 generated images `(N, H, W, C)` in [-1, 1].
        generated_labels: int labels the images were generated for `(N,)`.
        real_test_images: float32 real test images `(M, H, W, C)` in [-1, 1].
        real_test_labels: int true labels `(M,)`.
        num_classes: int. Number of classes K.
        epochs: int. Training epochs. Defaults to 20.
        batch_size: int. Defaults to 64.
        seed: int. Seeds weights and shuffling. Defaults to 0.

    Returns:
        The test accuracy on real data, in [0, 1].

    Raises:
        ValueError: images and labels differ in length or are empty, image shapes
            of the two sets differ, or labels lie outside [0, num_classes).

    Example:
    ```python
    labels = np.repeat(np.arange(10), 500)
    cas = classification_accuracy_score(
        trainer.sample(labels, seed=0), labels, x_test, y_test, num_classes=10)
    ```
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    generated_images = np.asarray(generated_images, dtype=np.float32)
    real_test_images = np.asarray(real_test_images, dtype=np.float32)
    checked = []
    for images, labels, names in (
        (generated_images, generated_labels, ("generated_images", "generated_labels")),
        (real_test_images, real_test_labels, ("real_test_images", "real_test_labels")),
    ):
        labels = _check_class_ids(labels, num_classes, names[1])
        if images.ndim != 4 or len(images) == 0 or len(images) != len(labels):
            raise ValueError(
                f"{names[0]} must be a non-empty (N, H, W, C) batch with one label in "
                f"{names[1]} per image; got shape {images.shape} and {len(labels)} labels"
            )
        checked.append(labels)
    if generated_images.shape[1:] != real_test_images.shape[1:]:
        raise ValueError(
            "generated_images and real_test_images must have the same image shape; got "
            f"{generated_images.shape[1:]} and {real_test_images.shape[1:]}"
        )
    generated_labels, real_test_labels = checked
    classifier = train_reference_classifier(
        generated_images,
        generated_labels,
        num_classes,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
    )
    logits = classifier.predict(real_test_images, batch_size=256, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == real_test_labels))


def confusion_matrix_png(
    matrix: np.ndarray | Sequence[Sequence[int]],
    path: str | os.PathLike,
    class_names: Sequence[str] | None = None,
    title: str = "Confusion matrix",
) -> str:
    """Writes a confusion matrix as a PNG heatmap (rows true, columns predicted).

    Uses matplotlib's Agg canvas directly (no display, no change of the global
    pyplot backend). Cells are coloured by row-normalised recall and annotated with
    the counts.

    Args:
        matrix: square count matrix `(K, K)`, e.g. `report["confusion_matrix"]`.
        path: file path of the PNG; parent folders are created.
        class_names: optional K tick labels. Defaults to the class ids.
        title: str. Figure title. Defaults to `"Confusion matrix"`.

    Returns:
        The path written, as a string.

    Raises:
        ImportError: the `matplotlib` package is not installed.
        ValueError: `matrix` is not square, is empty or has negative entries, or
            `class_names` does not have K entries.

    Example:
    ```python
    report = classification_report(y_test, y_pred, 10)
    confusion_matrix_png(report["confusion_matrix"], "out/confusion.png")
    ```
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"matrix must be a non-empty square (K, K) array; got {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise ValueError("matrix must hold finite, non-negative counts")
    size = matrix.shape[0]
    if class_names is None:
        class_names = [str(k) for k in range(size)]
    class_names = [str(name) for name in class_names]
    if len(class_names) != size:
        raise ValueError(
            f"class_names must have one name per class ({size}); got {len(class_names)}"
        )
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "confusion_matrix_png needs the `matplotlib` package; install it with "
            "`pip install matplotlib` (or the tfgenaug[test] extra)"
        ) from error
    normalised = _safe_divide(matrix, matrix.sum(axis=1, keepdims=True))
    side = min(2.0 + 0.5 * size, 20.0)
    figure = Figure(figsize=(side + 1.0, side))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(normalised, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, label="share of true class")
    axes.set_xticks(range(size), class_names, rotation=45, ha="right")
    axes.set_yticks(range(size), class_names)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title(title)
    if size <= 30:
        integral = np.all(matrix == np.round(matrix))
        for i in range(size):
            for j in range(size):
                text = f"{int(matrix[i, j])}" if integral else f"{matrix[i, j]:.3g}"
                colour = "white" if normalised[i, j] > 0.5 else "black"
                axes.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    figure.tight_layout()
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    tmp = path + ".tmp"  # written whole, then renamed: never a half-written picture
    figure.savefig(tmp, format="png", dpi=100)
    os.replace(tmp, path)
    return path
