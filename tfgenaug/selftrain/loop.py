"""The self-training loop: fit, pseudo-label the most confident pool samples, repeat."""

import dataclasses
import numbers
from collections.abc import Callable

import keras
import numpy as np

from tfgenaug.selftrain import inputs
from tfgenaug.validation import check_int

DEFAULT_FIT_KWARGS = {"epochs": 10, "batch_size": 32, "verbose": 0}
# Rows of model outputs that are non-negative and sum to 1 within this are probabilities.
_PROBABILITY_TOLERANCE = 1e-3


@dataclasses.dataclass
class SelfTrainResult:
    """What `self_train` returns.

    Attributes:
        model: the last model fitted, on `images` / `labels`.
        history: one dict per fit (see `self_train`).
        images: float32 `(N', ...)`, the final training set: the labelled images followed
            by the pseudo-labelled pool images in the order they were added.
        labels: int32 `(N',)`, their labels (true, then pseudo-labels).
        added_indices: one int64 array per pseudo-labelling round: the indices into
            `unlabelled` of the samples added in that round, in the order they were added.
    """

    model: keras.Model
    history: list[dict]
    images: np.ndarray
    labels: np.ndarray
    added_indices: list[np.ndarray]


def self_train(
    build_model: Callable[[], keras.Model],
    labelled: tuple[np.ndarray, np.ndarray],
    unlabelled: np.ndarray,
    *,
    rounds: int = 3,
    threshold: float | None = 0.9,
    per_class_top_k: int | None = None,
    class_balanced: bool = True,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    unlabelled_labels: np.ndarray | None = None,
    fit_kwargs: dict | None = None,
    fit: Callable[[keras.Model, np.ndarray, np.ndarray], object] | None = None,
    continue_training: bool = False,
    from_logits: bool | None = None,
    predict_batch_size: int = 256,
    predict_probabilities: Callable[[keras.Model, np.ndarray], np.ndarray] | None = None,
    check_overlap: bool = True,
    seed: int = 0,
    vary_seed: bool = True,
) -> SelfTrainResult:
    """Self-training with pseudo-labels (Lee 2013; Yarowsky 1995).

    Round `r = 0, 1, ...`: set the global seeds to `seed + r` (`keras.utils.
    set_random_seed`; `seed` in every round with `vary_seed=False`), build a fresh model
    (or, with `continue_training`, keep the previous one), fit it on the labelled set
    (`model.fit`, or the `fit` given), predict the class probabilities of the
    remaining unlabelled pool, and move the selected samples into the labelled set with
    their predicted classes as labels. The selection takes, per predicted class, the
    samples whose top probability is `>= threshold`, most confident first, at most
    `per_class_top_k` of them; with `class_balanced` every class gets the same number:
    the smallest count over *all* classes (so a class that no sample is confidently
    predicted as stops the round from adding anything). After `rounds` rounds, or
    earlier when a round adds nothing or the pool is used up, the model has been fitted
    on the final set and the loop ends: at most `rounds + 1` fits.

    Validation data are only ever evaluated: the labelled set grows from `unlabelled`
    alone, and with `check_overlap` the call refuses a validation set that shares an
    image (byte for byte) with the labelled set or the pool.

    For data in `tf.data` pipelines, materialise them first:
    `images, labels = tfgenaug.data.as_numpy(train_ds)` (unbatched `(image, label)`
    pairs). GAN samples can be the pool: see `generated_pool`.

    Args:
        build_model: callable with no arguments returning a *compiled* `keras.Model`
            that maps images to class logits or probabilities `(N, K)`, trained on int
            class ids (e.g. sparse categorical cross-entropy).
        labelled: `(images, labels)`: arrays `(N, ...)` and int class ids `(N,)` in
            [0, K).
        unlabelled: array `(M, ...)` of images of the same shape, M >= 1.
        rounds: int >= 1. Number of pseudo-labelling rounds. Defaults to 3.
        threshold: float in (0, 1] or `None`. Minimum top-class probability for a sample
            to be added. Defaults to `0.9`.
        per_class_top_k: int >= 1 or `None`. Most samples added per class and round.
            At least one of `threshold` and `per_class_top_k` must be given.
            Defaults to `None`.
        class_balanced: bool. Add the same number of samples to every class.
            Defaults to `True`.
        validation: `(images, labels)` or `None`. Held-out labelled data on which each
            fitted model's accuracy is reported; never trained on. Defaults to `None`.
        unlabelled_labels: int `(M,)` or `None`. True classes of the pool, if known
            (e.g. a labelled pool with its labels hidden, or the classes GAN samples
            were generated for), to report pseudo-label accuracy; never trained on.
            Defaults to `None`.
        fit_kwargs: dict. Passed to every `model.fit`, over the defaults
            `{"epochs": 10, "batch_size": 32, "verbose": 0}`. Defaults to `None`.
        fit: callable `(model, images, labels)` that fits `model` in place on the
            labelled set, instead of `model.fit(images, labels, **fit_kwargs)` (e.g. a
            fixed number of steps on a shuffled `tf.data` stream); its return value is
            ignored. Not together with `fit_kwargs`. Defaults to `None`.
        continue_training: bool. Keep fitting one model across rounds instead of
            building a fresh one each round. Defaults to `False`.
        from_logits: bool or `None`. Whether the model outputs logits (softmax is
            applied) or probabilities; `None` treats outputs as probabilities when every
            row is non-negative and sums to 1 (within 1e-3). Defaults to `None`.
        predict_batch_size: int. Batch size of `model.predict` on the pool and the
            validation set. Defaults to 256.
        predict_probabilities: callable `(model, images) -> (M, K)` class probabilities,
            instead of `model.predict` and the softmax of `from_logits` (which are then
            unused), for the pool and the validation set. Its dtype is kept: e.g.
            float32 probabilities are ranked and thresholded in float32, ties included.
            Defaults to `None`.
        check_overlap: bool. Refuse a validation set sharing images with the labelled
            set or the pool. Defaults to `True`.
        seed: int. Base of the per-round global seeds. Defaults to 0.
        vary_seed: bool. Seed round `r` with `seed + r`; with `False` every round is
            seeded with `seed`, so each fresh model starts from the same initial weights
            and only its labelled set differs. Defaults to `True`.

    Returns:
        A `SelfTrainResult`. Its `history` has one dict per fit with the keys `"round"`,
        `"labelled_size"` (samples the model was fitted on), `"pool_size"` (unlabelled
        samples left before the selection), `"val_accuracy"` (or `None`),
        `"pool_accuracy"` (the model's accuracy on the pool samples not yet added, or
        `None`),
        `"added"` and `"added_per_class"` (list of K counts; 0 in the last entry, which
        selects nothing), `"pseudo_label_accuracy"` (share of this round's added
        samples whose pseudo-label is the true class, or `None`) and
        `"pseudo_label_accuracy_total"` (the same over all pseudo-labels added so far,
        or `None`).

    Raises:
        ValueError: naming the argument: `rounds < 1`, `threshold` outside (0, 1],
            `per_class_top_k < 1`, neither of them given, an empty `unlabelled` pool,
            lengths that do not match, image shapes that differ, images that are not
            finite numbers, pool or validation images beyond the labelled images' value
            range by more than half its span, labels outside [0, K), a `tf.data.Dataset`
            instead of arrays, or a validation set overlapping the training data.

    Example:
    ```python
    train, test, info = tfgenaug.data.load("digits", image_size=16)
    images, labels = tfgenaug.data.as_numpy(train)
    few = tfgenaug.data.as_numpy(tfgenaug.data.few_shot(train, 10))

    def build_model():
        model = tfgenaug.networks.small_cnn(info.image_shape, info.num_classes, width=8)
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    result = self_train(build_model, few, images, rounds=3, threshold=0.95,
                        validation=tfgenaug.data.as_numpy(test), unlabelled_labels=labels)
    for entry in result.history:
        print(entry["labelled_size"], entry["val_accuracy"], entry["pseudo_label_accuracy"])
    ```
    (Here the pool holds the few labelled images too; they are pseudo-labelled again.)
    """
    check_int(rounds, "rounds", minimum=1)
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not 0.0 < float(threshold) <= 1.0
    ):
        raise ValueError(f"threshold must be None or a number in (0, 1]; got {threshold!r}")
    if per_class_top_k is not None:
        check_int(per_class_top_k, "per_class_top_k", minimum=1)
    if threshold is None and per_class_top_k is None:
        raise ValueError(
            "give threshold and/or per_class_top_k: with neither, every pool sample would "
            "be added"
        )
    if fit is not None and fit_kwargs is not None:
        raise ValueError("give fit or fit_kwargs, not both: fit_kwargs are model.fit's, "
                         "which a custom fit replaces")
    if fit is not None and not callable(fit):
        raise ValueError(f"fit must be a callable (model, images, labels); got {fit!r}")
    if predict_probabilities is not None and not callable(predict_probabilities):
        raise ValueError("predict_probabilities must be a callable (model, images) -> "
                         f"probabilities; got {predict_probabilities!r}")
    check_int(predict_batch_size, "predict_batch_size", minimum=1)
    images, labels = inputs.check_pair(labelled, "labelled")
    if len(images) == 0:
        raise ValueError("labelled must hold at least one image")
    inputs.check_finite(images, "labelled")
    pool = inputs.as_array(unlabelled, "unlabelled")
    if pool.ndim == 0 or len(pool) == 0:
        raise ValueError(f"unlabelled pool must hold at least one image; got shape {pool.shape}")
    inputs.check_image_shape(pool, images, "unlabelled")
    inputs.check_finite(pool, "unlabelled")
    inputs.check_same_scale(pool, images, "unlabelled")
    if unlabelled_labels is not None:
        unlabelled_labels = inputs.as_class_ids(unlabelled_labels, "unlabelled_labels")
        if len(unlabelled_labels) != len(pool):
            raise ValueError(
                f"unlabelled_labels must have one label per unlabelled image; got "
                f"{len(unlabelled_labels)} labels for {len(pool)} images"
            )
    if validation is not None:
        validation = inputs.check_pair(validation, "validation")
        inputs.check_image_shape(validation[0], images, "validation")
        inputs.check_finite(validation[0], "validation")
        inputs.check_same_scale(validation[0], images, "validation")
        if check_overlap:
            inputs.check_no_overlap(validation[0], images, "labelled")
            inputs.check_no_overlap(validation[0], pool, "unlabelled")
    fit_kwargs = {**DEFAULT_FIT_KWARGS, **(fit_kwargs or {})}

    history: list[dict] = []
    added_indices: list[np.ndarray] = []
    remaining = np.arange(len(pool))
    pseudo_correct = pseudo_total = 0
    model = None
    num_classes = None
    for round_index in range(rounds + 1):
        if model is None or not continue_training:
            keras.utils.set_random_seed(int(seed) + (round_index if vary_seed else 0))
            model = build_model()
        if num_classes is None:
            num_classes = _num_classes(model, images)
            inputs.check_in_range(labels, num_classes, "labelled")
            if validation is not None:
                inputs.check_in_range(validation[1], num_classes, "validation")
            inputs.check_in_range(unlabelled_labels, num_classes, "unlabelled_labels")
        if fit is None:
            model.fit(images, labels, **fit_kwargs)
        else:
            fit(model, images, labels)
        entry = {
            "round": round_index,
            "labelled_size": int(len(images)),
            "pool_size": int(len(remaining)),
            "val_accuracy": None,
            "pool_accuracy": None,
            "added": 0,
            "added_per_class": [0] * num_classes,
            "pseudo_label_accuracy": None,
            "pseudo_label_accuracy_total": (
                pseudo_correct / pseudo_total if pseudo_total else None
            ),
        }
        history.append(entry)
        if validation is not None:
            predicted = _probabilities(model, validation[0], predict_batch_size, from_logits,
                                       predict_probabilities)
            entry["val_accuracy"] = float(np.mean(predicted.argmax(-1) == validation[1]))
        last = round_index == rounds
        if len(remaining) == 0 or (last and unlabelled_labels is None):
            break
        probabilities = _probabilities(model, pool[remaining], predict_batch_size, from_logits,
                                       predict_probabilities)
        if unlabelled_labels is not None:
            entry["pool_accuracy"] = float(
                np.mean(probabilities.argmax(-1) == unlabelled_labels[remaining])
            )
        if last:
            break
        chosen = select_confident(probabilities, threshold, per_class_top_k, class_balanced)
        if len(chosen) == 0:
            break
        pseudo_labels = probabilities[chosen].argmax(-1).astype(np.int32)
        indices = remaining[chosen]
        added_indices.append(indices)
        entry["added"] = int(len(indices))
        entry["added_per_class"] = np.bincount(pseudo_labels, minlength=num_classes).tolist()
        if unlabelled_labels is not None:
            correct = int(np.sum(pseudo_labels == unlabelled_labels[indices]))
            pseudo_correct += correct
            pseudo_total += len(indices)
            entry["pseudo_label_accuracy"] = correct / len(indices)
            entry["pseudo_label_accuracy_total"] = pseudo_correct / pseudo_total
        images = np.concatenate([images, pool[indices].astype(images.dtype, copy=False)])
        labels = np.concatenate([labels, pseudo_labels])
        remaining = np.setdiff1d(remaining, indices, assume_unique=True)
    return SelfTrainResult(model, history, images, labels, added_indices)


def select_confident(
    probabilities: np.ndarray,
    threshold: float | None = None,
    per_class_top_k: int | None = None,
    class_balanced: bool = True,
) -> np.ndarray:
    """Rows of `probabilities` to pseudo-label, grouped by predicted class.

    Per predicted class (the argmax), the rows whose top probability is `>= threshold`
    (all rows when `threshold` is `None`), most confident first (ties: lower row first),
    at most `per_class_top_k` of them; with `class_balanced` each class keeps only as
    many as the class with the fewest, over all K classes.

    Args:
        probabilities: float `(M, K)` class probabilities.
        threshold: float in (0, 1] or `None`.
        per_class_top_k: int >= 1 or `None`.
        class_balanced: bool. Same count for every class.

    Returns:
        int64 row indices: class 0's rows, then class 1's, ..., each most confident first.

    Example:

    >>> select_confident(np.array([[0.95, 0.05], [0.2, 0.8], [0.99, 0.01], [0.1, 0.9]]), 0.85)
    array([2, 3])
    >>> select_confident(np.array([[0.95, 0.05], [0.2, 0.8], [0.99, 0.01], [0.1, 0.9]]), 0.85,
    ...                  class_balanced=False)
    array([2, 0, 3])
    """
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=-1)
    predicted = probabilities.argmax(axis=-1)
    eligible = np.ones(len(probabilities), bool) if threshold is None else (
        confidence >= threshold
    )
    per_class = []
    for cls in range(probabilities.shape[-1]):
        rows = np.flatnonzero(eligible & (predicted == cls))
        rows = rows[np.argsort(-confidence[rows], kind="stable")]
        per_class.append(rows if per_class_top_k is None else rows[:per_class_top_k])
    if class_balanced:
        count = min(len(rows) for rows in per_class)
        per_class = [rows[:count] for rows in per_class]
    return np.concatenate(per_class).astype(np.int64)


# --------------------------------------------------------------------- helpers
def _probabilities(model, images, batch_size: int, from_logits: bool | None,
                   predict=None) -> np.ndarray:
    if predict is not None:
        outputs = np.asarray(predict(model, images))
        if outputs.ndim != 2 or len(outputs) != len(images):
            raise ValueError("predict_probabilities must return (N, K) class probabilities; "
                             f"got shape {outputs.shape} for {len(images)} images")
        return outputs
    outputs = np.asarray(model.predict(images, batch_size=batch_size, verbose=0), np.float64)
    if outputs.ndim != 2:
        raise ValueError(
            f"the model must output class scores (N, K); got shape {outputs.shape}"
        )
    if from_logits is None:
        from_logits = not (
            np.all(outputs >= 0)
            and np.allclose(outputs.sum(-1), 1.0, atol=_PROBABILITY_TOLERANCE)
        )
    if from_logits:
        shifted = np.exp(outputs - outputs.max(-1, keepdims=True))
        return shifted / shifted.sum(-1, keepdims=True)
    return outputs


def _num_classes(model, images: np.ndarray) -> int:
    """The width K of the model's output, from its output shape or one prediction."""
    try:
        width = model.output_shape[-1]
    except (AttributeError, ValueError):
        width = None
    if width is None:
        width = np.asarray(model.predict(images[:1], verbose=0)).shape[-1]
    return int(width)
