"""Novelty: nearest distances against brute force, and the ratio on known cases."""

import numpy as np
import pytest

from tfgenaug import metrics


def brute_force(queries, references):
    q = queries.reshape(len(queries), -1)
    r = references.reshape(len(references), -1)
    return np.array([np.min(np.linalg.norm(r - x, axis=1)) for x in q])


def test_nearest_distances_match_brute_force_across_blocks():
    rng = np.random.default_rng(0)
    queries, references = rng.normal(size=(37, 4, 4, 1)), rng.normal(size=(11, 4, 4, 1))
    np.testing.assert_allclose(metrics.nearest_distances(queries, references, batch_size=5),
                               brute_force(queries, references), rtol=1e-9)
    # A query equal to a reference is at distance 0.
    assert metrics.nearest_distances(references[:3], references) == pytest.approx([0, 0, 0],
                                                                                   abs=1e-6)


def test_same_class_distances_only_look_at_the_own_class():
    references = np.array([[0.0], [10.0]])
    reference_labels = np.array([0, 1])
    # 9.0 is nearest to the class-1 reference, but it is labelled class 0.
    distances = metrics.same_class_nearest_distances(np.array([[9.0], [9.0]]), [0, 1],
                                                     references, reference_labels)
    np.testing.assert_allclose(distances, [9.0, 1.0])


def test_copies_score_near_zero_and_fresh_draws_near_one():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 16)) * 5

    def draw(n_per_class):
        y = np.repeat(np.arange(3), n_per_class)
        return centres[y] + rng.normal(size=(len(y), 16)), y
    train, train_labels = draw(5)
    test, test_labels = draw(200)
    copies = train[np.tile(np.arange(15), 40)] + rng.normal(size=(600, 16)) * 1e-3
    copy_labels = train_labels[np.tile(np.arange(15), 40)]
    near = metrics.novelty_ratio(copies, copy_labels, train, train_labels, test, test_labels)
    assert near["ratio"] < 0.01 and near["copies"] > 0.99
    fresh, fresh_labels = draw(200)
    new = metrics.novelty_ratio(fresh, fresh_labels, train, train_labels, test, test_labels)
    assert 0.85 < new["ratio"] < 1.15 and new["copies"] < 0.05


@pytest.mark.parametrize("call,match", [
    (lambda: metrics.nearest_distances(np.zeros((0, 4)), np.zeros((2, 4))),
     r"queries must be a non-empty batch of images \(N, ...\); got shape \(0, 4\)"),
    (lambda: metrics.nearest_distances(np.zeros((2, 4)), np.zeros((2, 5))),
     r"queries and references must have the same image shape; got \(4,\) and \(5,\)"),
    (lambda: metrics.same_class_nearest_distances(np.zeros((2, 4)), [0], np.zeros((2, 4)),
                                                  [0, 0]),
     r"labels must have one entry per image \(images 2, labels 1"),
    (lambda: metrics.same_class_nearest_distances(np.zeros((1, 4)), [3], np.zeros((2, 4)),
                                                  [0, 1]),
     r"class 3 of labels has no reference image"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
