"""Precision, recall, density, coverage: a brute-force reference, known cases, bad inputs."""

import numpy as np
import pytest

from tfgenaug import metrics


def brute_force(real, fake, k):
    """The definitions of Naeem et al. (2020), one pair at a time."""
    def radius(points, i):
        distances = sorted(np.linalg.norm(points[i] - p) for j, p in enumerate(points) if j != i)
        return distances[k - 1]

    real_radii = [radius(real, i) for i in range(len(real))]
    fake_radii = [radius(fake, j) for j in range(len(fake))]
    inside = [[np.linalg.norm(f - r) < real_radii[i] for i, r in enumerate(real)] for f in fake]
    return {
        "precision": np.mean([any(row) for row in inside]),
        "recall": np.mean([any(np.linalg.norm(r - f) < fake_radii[j] for j, f in enumerate(fake))
                           for r in real]),
        "density": np.sum(inside) / (k * len(fake)),
        "coverage": np.mean([any(inside[j][i] for j in range(len(fake)))
                             for i in range(len(real))]),
    }


@pytest.mark.parametrize("batch_size", [1024, 7])
def test_matches_the_definitions_computed_pair_by_pair(batch_size):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(40, 3))
    fake = rng.normal(0.4, 1.3, size=(33, 3))
    got = metrics.precision_recall_density_coverage(real, fake, k=3, batch_size=batch_size)
    expected = brute_force(real, fake, 3)
    assert set(got) == set(metrics.PRDC_METRICS)
    for name in metrics.PRDC_METRICS:
        np.testing.assert_allclose(got[name], expected[name], err_msg=name)
    # The spread-out fakes leave some real balls (precision < 1), and vice versa.
    assert 0 < got["precision"] < 1 and 0 < got["coverage"] < 1


def test_a_set_against_itself_scores_one_and_disjoint_sets_zero():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(200, 4))
    same = metrics.precision_recall_density_coverage(real, real)
    assert same == {"precision": 1.0, "recall": 1.0, "density": 1.0, "coverage": 1.0}
    far = metrics.precision_recall_density_coverage(real, real + 100.0)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_missed_modes_lower_recall_and_coverage_not_precision():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [20.0, 0.0]])
    real = np.concatenate([c + rng.normal(size=(500, 2)) for c in centres])
    one_mode = centres[0] + rng.normal(size=(1000, 2))
    both = np.concatenate([c + rng.normal(size=(500, 2)) for c in centres])
    dropped = metrics.precision_recall_density_coverage(real, one_mode)
    fair = metrics.precision_recall_density_coverage(real, both)
    assert dropped["precision"] > 0.9 and fair["precision"] > 0.9
    assert dropped["coverage"] < 0.55 < 0.9 < fair["coverage"]
    assert dropped["recall"] < 0.55 < 0.9 < fair["recall"]
    assert 0.8 < fair["density"] < 1.2


def test_one_real_outlier_makes_bad_fakes_precise_but_not_dense():
    rng = np.random.default_rng(4)
    # The outlier's ball reaches back to the cluster and holds the fakes far from it.
    real = np.concatenate([rng.normal(size=(200, 2)), [[30.0, 30.0]]])
    fake = [20.0, 20.0] + rng.normal(size=(100, 2))
    scores = metrics.precision_recall_density_coverage(real, fake)
    assert scores["precision"] == 1.0
    assert scores["density"] == pytest.approx(1 / 5)
    assert scores["coverage"] == pytest.approx(1 / 201)


def test_nearest_neighbour_radii_skip_the_vector_itself():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(metrics.nearest_neighbour_radii(points, k=1), [1, 1, 2, 4])
    np.testing.assert_allclose(metrics.nearest_neighbour_radii(points, k=2, batch_size=3),
                               [3, 2, 3, 6])


def test_per_class_scores_each_class_of_the_fakes():
    rng = np.random.default_rng(3)
    real = np.concatenate([rng.normal(size=(50, 2)), 30 + rng.normal(size=(50, 2))])
    real_labels = np.repeat([0, 1], 50)
    # Class 0's samples are right, class 1's were drawn in class 0's place.
    fake = rng.normal(size=(80, 2))
    fake_labels = np.repeat([0, 1], 40)
    scores = metrics.per_class_precision_recall_density_coverage(real, real_labels, fake,
                                                                 fake_labels)
    assert sorted(scores) == [0, 1]
    assert scores[0]["precision"] > 0.8 and scores[1]["precision"] == 0.0
    with pytest.raises(ValueError, match="class 1 has 50 real and 4 fake feature vectors"):
        metrics.per_class_precision_recall_density_coverage(
            real, real_labels, fake[:44], fake_labels[:44])
    with pytest.raises(ValueError, match="labels must have one class id per feature vector"):
        metrics.per_class_precision_recall_density_coverage(real, real_labels[:3], fake,
                                                            fake_labels)


@pytest.mark.parametrize("real,fake,k,match", [
    (np.zeros((0, 2)), np.zeros((9, 2)), 5, r"real_features must be a non-empty \(N, D\)"),
    (np.zeros((9, 2, 1)), np.zeros((9, 2)), 5, r"real_features must be a non-empty \(N, D\)"),
    (np.full((9, 2), np.nan), np.zeros((9, 2)), 5, "real_features must be finite"),
    (np.zeros((9, 2)), np.zeros((9, 3)), 5, "must have the same width; got 2 and 3"),
    (np.zeros((9, 2)), np.zeros((5, 2)), 5, r"k must be smaller .* \(5\); got k=5"),
    (np.zeros((9, 2)), np.zeros((9, 2)), 0, "k must be a positive integer"),
])
def test_bad_inputs_name_the_argument(real, fake, k, match):
    with pytest.raises(ValueError, match=match):
        metrics.precision_recall_density_coverage(real, fake, k=k)
