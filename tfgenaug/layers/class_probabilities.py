"""The class probabilities of generated rows: how many samples each class gets.

`resolve_class_probs` turns `GANAugment`'s `class_probs` (uniform, `"balanced"` or
given) into probabilities; `resolve_class_quality` turns its `class_quality` (per-class
scores of the generator, given or read from its export's metadata) into weights that
multiply them, so classes whose samples a judge rejects get fewer generated rows.
"""

from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np

_PROBS_TOLERANCE = 1e-6
# `class_quality` names and the per-class lists of an export's metadata `quality` they read
# (written by `tfgenaug.runs` from the run's judge: `tfgenaug.runs.label_agreement`).
QUALITY_SCORES = {
    "label_agreement": "label_agreement_per_class",
    "precision": "precision_per_class_judge_features",
    "coverage": "coverage_per_class_judge_features",
}


def weighted_class_probs(probabilities: np.ndarray, quality: np.ndarray | None) -> np.ndarray:
    """`probabilities * quality`, renormalised; `probabilities` when `quality` is None.

    Args:
        probabilities: float64 `(K,)` class probabilities summing to 1.
        quality: optional non-negative float64 `(K,)` per-class weights.

    Raises:
        ValueError: naming `class_quality` when the product is zero for every class.

    Example:

    >>> weighted_class_probs(np.array([0.5, 0.5]), np.array([1.0, 0.5]))
    array([0.66666667, 0.33333333])
    """
    if quality is None:
        return probabilities
    weighted = probabilities * quality
    if weighted.sum() <= 0:
        raise ValueError(
            "class_quality leaves no class to generate: its scores are zero for every class "
            f"with a positive probability (probabilities {probabilities.round(4).tolist()}, "
            f"class_quality {quality.round(4).tolist()})"
        )
    return weighted / weighted.sum()


def resolve_class_quality(
    class_quality: str | Sequence[float] | None,
    metadata_quality: Mapping | None,
    num_classes: int,
) -> np.ndarray | None:
    """Returns the float64 per-class weights `(num_classes,)` of `class_quality`, or None.

    Args:
        class_quality: `None` (no weighting), a list of `num_classes` non-negative scores
            (e.g. a run's `metrics.json` `label_agreement_per_class`), or the name of a
            per-class score of the generator's export metadata: one of `QUALITY_SCORES`
            (`"label_agreement"`, `"precision"`, `"coverage"`).
        metadata_quality: the `quality` entry of the generator's export metadata (what
            its run's judge measured), or None (a trainer, a Keras generator, or an
            export without it).
        num_classes: int. Number of classes K.

    Raises:
        ValueError: naming `class_quality` when it is unusable, or when it names a score
            the generator does not carry.

    Example:

    >>> resolve_class_quality("label_agreement",
    ...                       {"label_agreement_per_class": [1.0, 0.5]}, 2)
    array([1. , 0.5])
    """
    if class_quality is None:
        return None
    if isinstance(class_quality, str):
        if class_quality not in QUALITY_SCORES:
            raise ValueError(
                f"class_quality must be None, one of {sorted(QUALITY_SCORES)} or a list of "
                f"{num_classes} non-negative scores; got {class_quality!r}"
            )
        key = QUALITY_SCORES[class_quality]
        scores = (metadata_quality or {}).get(key)
        if scores is None:
            where = ("its export's metadata has no quality (the run measured none: "
                     "train with judge_epochs > 0)" if metadata_quality is None else
                     f"its export's metadata quality has no {key!r}")
            raise ValueError(
                f"class_quality={class_quality!r} reads the generator's export metadata, "
                f"but {where}. Pass a SavedModel export of a judged run, or the scores as "
                f"a list of {num_classes} numbers (e.g. metrics.json's {key!r})"
            )
        name = f"class_quality={class_quality!r} (the export's {key!r})"
    else:
        scores, name = class_quality, "class_quality"
    quality = _as_vector(scores, num_classes, name)
    if np.any(quality < 0):
        raise ValueError(f"{name} must be non-negative; got {list(scores)}")
    return quality


def resolve_class_probs(
    class_probs: str | Sequence[float] | None,
    class_counts: Sequence[int] | None,
    num_classes: int,
) -> np.ndarray:
    """Returns the float64 probabilities `(num_classes,)` of the generated classes.

    Args:
        class_probs: `None` (uniform), `"balanced"` (proportional to `1 / class_counts`)
            or `num_classes` non-negative probabilities summing to 1 (within 1e-6).
        class_counts: positive per-class counts, used with `"balanced"` only.
        num_classes: int. Number of classes K.

    Raises:
        ValueError: naming `class_probs` or `class_counts` when they are unusable.

    Example:

    >>> resolve_class_probs("balanced", [30, 10], 2)
    array([0.25, 0.75])
    """
    if class_counts is not None and not (
        isinstance(class_probs, str) and class_probs == "balanced"
    ):
        raise ValueError(
            "class_counts is only used with class_probs='balanced'; got "
            f"class_probs={class_probs!r}"
        )
    if class_probs is None:
        return np.full(num_classes, 1.0 / num_classes)
    if isinstance(class_probs, str):
        if class_probs != "balanced":
            raise ValueError(
                f"class_probs must be None, 'balanced' or a list of {num_classes} "
                f"probabilities; got {class_probs!r}"
            )
        if class_counts is None:
            raise ValueError(
                "class_probs='balanced' needs class_counts, the per-class counts of the "
                "real training data"
            )
        counts = _as_vector(class_counts, num_classes, "class_counts")
        if np.any(counts <= 0):
            raise ValueError(f"class_counts must all be positive; got {list(class_counts)}")
        inverse = 1.0 / counts
        return inverse / inverse.sum()
    probs = _as_vector(class_probs, num_classes, "class_probs")
    if np.any(probs < 0) or abs(probs.sum() - 1.0) > _PROBS_TOLERANCE:
        raise ValueError(
            f"class_probs must be non-negative and sum to 1 (within {_PROBS_TOLERANCE}); "
            f"got {list(class_probs)} (sum {probs.sum()})"
        )
    return probs


def _as_vector(values, num_classes: int, name: str) -> np.ndarray:
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a list of {num_classes} numbers; got {values!r}") from (
            error
        )
    if vector.shape != (num_classes,) or not np.all(np.isfinite(vector)):
        raise ValueError(
            f"{name} must be a list of {num_classes} finite numbers (num_classes="
            f"{num_classes}); got {values!r}"
        )
    return vector
