"""benchmarks/case_judge.py: a case's selection and a judge trained on its whole split."""

import numpy as np

from benchmarks import efficacy
from benchmarks.case_judge import case_judge


def test_the_judge_sees_the_whole_split_and_the_selection_is_the_case():
    judged = case_judge("n5", seed=0, budget=efficacy.QUICK, epochs=1)
    assert judged.fields == {"count": 5} and judged.num_classes == 10
    np.testing.assert_array_equal(np.bincount(judged.labels, minlength=10), [5] * 10)
    assert judged.images.shape == (50, 8, 8, 1)
    # Features of the selection and the rest of the pool: more rows than the 50 selected.
    assert judged.real_features.ndim == 2 and len(judged.real_features) > 1000
    assert 0.0 <= judged.test_accuracy <= 1.0
    rare = case_judge("imbalance20", seed=1, budget=efficacy.QUICK, epochs=1)
    assert rare.fields["minority_classes"] == efficacy.minority_classes(1)
