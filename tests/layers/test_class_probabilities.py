"""Tests of `tfgenaug.layers.class_probabilities`: resolving class_probs and class_quality."""

import numpy as np
import pytest

from tfgenaug.layers.class_probabilities import QUALITY_SCORES
from tfgenaug.layers.class_probabilities import resolve_class_probs
from tfgenaug.layers.class_probabilities import resolve_class_quality
from tfgenaug.layers.class_probabilities import weighted_class_probs


def test_quality_scores_read_what_a_run_writes_into_its_export():
    from tfgenaug.runs.model_dir import QUALITY_KEYS

    assert set(QUALITY_SCORES.values()) <= set(QUALITY_KEYS)


@pytest.mark.parametrize("name", sorted(QUALITY_SCORES))
def test_each_named_score_is_read_from_the_metadata(name):
    metadata = {key: [0.1, 0.2, 0.3] for key in QUALITY_SCORES.values()}
    metadata[QUALITY_SCORES[name]] = [0.9, 0.0, 0.4]
    np.testing.assert_array_equal(resolve_class_quality(name, metadata, 3), [0.9, 0.0, 0.4])


def test_none_means_no_weighting():
    assert resolve_class_quality(None, {"label_agreement_per_class": [1, 0]}, 2) is None
    probs = resolve_class_probs(None, None, 4)
    assert weighted_class_probs(probs, None) is probs


def test_weighting_multiplies_then_renormalises():
    probs = resolve_class_probs("balanced", [10, 10, 5], 3)  # 0.25, 0.25, 0.5
    weighted = weighted_class_probs(probs, np.array([1.0, 0.0, 0.5]))
    np.testing.assert_allclose(weighted, [0.5, 0.0, 0.5], rtol=1e-12)


@pytest.mark.parametrize(("class_quality", "metadata", "match"), [
    ("fid", {}, "class_quality must be None, one of"),
    ("label_agreement", None, "has no quality"),
    ("coverage", {"label_agreement_per_class": [1, 1]}, "has no 'coverage_per_class"),
    ("label_agreement", {"label_agreement_per_class": [1.0]}, "export's 'label_agreement"),
    ([1.0, float("nan")], None, "2 finite numbers"),
    ([1.0, -0.1], None, "non-negative"),
    (["a", "b"], None, "list of 2 numbers"),
])
def test_unusable_class_quality_is_refused_by_name(class_quality, metadata, match):
    with pytest.raises(ValueError, match=match):
        resolve_class_quality(class_quality, metadata, 2)
