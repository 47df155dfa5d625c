"""Tests for tfgenaug.data.case: one DataCase selects the images the three runs selected.

The references below are the three selections as they were written before `select` existed
(the generator run's, the efficacy runner's and DFG's `prepare_data`), kept here verbatim so
that `select` is checked against them image for image.
"""

import numpy as np
import pytest

from tfgenaug import data
from tfgenaug.data import DataCase
from tfgenaug.data import select


def _generator_run_reference(dataset, image_size, count, minority, ratio, seed):
    """The generator run's selection: few_shot, then imbalance, on the loaded train split."""
    train, test, info = data.load(dataset, image_size=image_size)
    pool = train
    if count:
        train = data.few_shot(train, count, seed=seed)
    if minority:
        train = data.imbalance(train, minority, ratio, seed=seed, num_classes=info.num_classes)
    counts = [int(n) for n in data.class_counts(train, info.num_classes)]
    return data.as_numpy(train), data.as_numpy(pool), data.as_numpy(test), counts


def _runner_reference(dataset, image_size, count, minority, ratio, seed):
    """The efficacy runner's `select_training_data(config, with_pool=True)`."""
    train, test, info = data.load(dataset, image_size=image_size)
    everything = data.as_numpy(train)
    if count:
        train = data.few_shot(train, count, seed=seed)
    if minority:
        train = data.imbalance(train, list(minority), ratio, seed=seed,
                               num_classes=info.num_classes)
    images, labels = data.as_numpy(train)
    chosen = {image.tobytes() for image in images}
    left = np.array([image.tobytes() not in chosen for image in everything[0]], dtype=bool)
    return (images, labels), data.as_numpy(test), (everything[0][left], everything[1][left])


def _dfg_reference(target_classes, minority, ratio, seed, channels=None):
    """DFG's `prepare_data` target side: class subset, relabelled, then imbalance."""
    train, test, info = data.load("digits", image_size=8)
    if channels is not None and info.image_shape[-1] != channels:
        train, test = data.to_channels(train, channels), data.to_channels(test, channels)
    num_classes = len(target_classes)
    target = data.imbalance(data.select_classes(train, target_classes), minority, ratio,
                            seed=seed, num_classes=num_classes)
    counts = [int(n) for n in data.class_counts(target, num_classes)]
    return (data.as_numpy(target), data.as_numpy(data.select_classes(test, target_classes)),
            counts)


def _assert_pairs_equal(got, want):
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("count, minority, ratio, seed", [
    (5, (), 0.05, 3),
    (0, (2, 7), 0.1, 1),
    (12, (0, 3), 0.25, 4),
    (0, (), 0.05, 0),
])
def test_select_is_the_generator_runs_and_the_runners_selection(count, minority, ratio, seed):
    case = DataCase(dataset="digits", image_size=8, count=count, minority_classes=minority,
                    imbalance_ratio=ratio, seed=seed)
    selection = select(case, with_pool=True)
    train, split, test, counts = _generator_run_reference("digits", 8, count, minority, ratio,
                                                          seed)
    _assert_pairs_equal(selection.train_arrays, train)
    _assert_pairs_equal(data.as_numpy(selection.train_split), split)
    _assert_pairs_equal(selection.test_arrays, test)
    assert selection.training_counts == counts
    runner_train, runner_test, runner_pool = _runner_reference("digits", 8, count, minority,
                                                               ratio, seed)
    _assert_pairs_equal(selection.train_arrays, runner_train)
    _assert_pairs_equal(selection.test_arrays, runner_test)
    _assert_pairs_equal(selection.pool, runner_pool)
    assert len(selection.pool[1]) + len(train[1]) == len(split[1])
    assert selection.info.num_classes == selection.num_classes == 10


@pytest.mark.parametrize("channels", [None, 3])
def test_select_with_classes_is_dfgs_target_selection(channels):
    classes, minority = (5, 6, 7, 8, 9), [1, 3]
    case = DataCase(dataset="digits", image_size=8, classes=list(classes),
                    minority_classes=minority, imbalance_ratio=0.05, seed=2, channels=channels)
    selection = select(case)
    train, test, counts = _dfg_reference(classes, minority, 0.05, 2, channels)
    _assert_pairs_equal(selection.train_arrays, train)
    _assert_pairs_equal(selection.test_arrays, test)
    assert selection.training_counts == counts
    assert counts[1] == counts[3] < counts[0]
    assert selection.num_classes == 5
    assert selection.class_names == ["5", "6", "7", "8", "9"]
    assert selection.info.image_shape == (8, 8, channels or 1)
    assert selection.pool is None


def test_a_case_is_hashable_and_lists_become_tuples():
    case = DataCase(minority_classes=[1, 2], classes=np.array([0, 1, 2]))
    assert case.minority_classes == (1, 2) and case.classes == (0, 1, 2)
    assert case == DataCase(minority_classes=(1, 2), classes=(0, 1, 2))
    assert len({case, DataCase(minority_classes=(1, 2), classes=(0, 1, 2))}) == 1


def test_select_reuses_a_loaded_split():
    case = DataCase(image_size=8, count=4, seed=5)
    split = data.load_case(case)
    _assert_pairs_equal(select(case, split=split).train_arrays, select(case).train_arrays)


def test_count_larger_than_the_smallest_class_names_it():
    with pytest.raises(data.CountTooLargeError,
                       match=r"count=500 is larger than the smallest class \(class \d+ has \d+ "
                             r"images\)") as raised:
        select(DataCase(image_size=8, count=500))
    assert raised.value.count == 500 and raised.value.dataset == "digits"
    assert raised.value.smallest == min(data.load("digits", image_size=8)[2].train_counts)


def test_bad_cases_name_the_field():
    with pytest.raises(ValueError, match=r"dataset='no_such_dataset_xyz' cannot be loaded"):
        select(DataCase(dataset="no_such_dataset_xyz"))
    with pytest.raises(ValueError, match=r"classes must be class ids of 'digits', in \[0, 10\); "
                                         r"got \[12\]"):
        select(DataCase(image_size=8, classes=(5, 12)))
    with pytest.raises(ValueError, match=r"minority_classes must be .* class ids in \[0, 10\)"):
        select(DataCase(image_size=8, minority_classes=(10,)))
