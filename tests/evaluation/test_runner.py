"""One classifier, one condition: data selection, validation, the report and its files."""

import json

import numpy as np
import pytest

from tfgenaug import data
from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import report_markdown
from tfgenaug.evaluation import select_training_data
from tfgenaug.evaluation import write_report

TINY = {"image_size": 8, "steps": 3, "width": 4, "batch_size": 16}


def test_count_larger_than_available_names_the_smallest_class():
    with pytest.raises(ValueError, match=r"count=500 is larger than the images available.*"
                                         r"smallest class of 'digits' has \d+"):
        select_training_data(EvalConfig(count=500, image_size=8))


def test_selection_is_the_one_the_generator_trainer_makes():
    config = EvalConfig(count=3, seed=7, image_size=8)
    images, labels, test_images, _, info = select_training_data(config)
    train, _, _ = data.load("digits", image_size=8)
    expected_images, expected_labels = data.as_numpy(data.few_shot(train, 3, seed=7))
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    assert len(test_images) == sum(info.test_counts)


def test_imbalance_selection_keeps_the_ratio():
    config = EvalConfig(minority_classes=(2, 5), imbalance_ratio=0.05, image_size=8)
    _, labels, _, _, _ = select_training_data(config)
    counts = np.bincount(labels, minlength=10)
    assert counts[2] == counts[5] == int(0.05 * counts.max())
    assert counts[[0, 1, 3, 4, 6, 7, 8, 9]].min() > 100


def test_report_has_the_test_metrics_and_writes_three_files(tmp_path):
    config = EvalConfig(condition="oversample", minority_classes=(1, 2), **TINY)
    report = evaluate_condition(config)
    assert report["num_samples"] == 539
    assert 0.0 <= report["balanced_accuracy"] <= 1.0
    assert report["minority_recall"] == pytest.approx(np.mean(
        [report["recall"][1], report["recall"][2]]))
    assert report["training_counts"][1] < report["training_counts"][0]
    assert report["config"]["condition"] == "oversample"
    paths = write_report(report, str(tmp_path))
    with open(paths["json"]) as f:
        assert json.load(f)["accuracy"] == report["accuracy"]
    assert "| minority recall |" in report_markdown(report)
    with open(paths["confusion"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_pool_is_the_rest_of_the_train_split_and_disjoint_from_the_selection():
    config = EvalConfig(count=4, seed=1, image_size=8)
    images, labels, test_images, _, info, pool = select_training_data(config, with_pool=True)
    pool_images, pool_labels = pool
    assert len(pool_labels) + len(labels) == sum(info.train_counts)
    chosen = {image.tobytes() for image in images}
    assert not any(image.tobytes() in chosen for image in pool_images)
    test = {image.tobytes() for image in test_images}
    assert not any(image.tobytes() in test for image in pool_images)


@pytest.mark.parametrize("condition", ["fgsm", "pgd", "same_class_mix"])
def test_other_conditions_train_and_report(condition):
    report = evaluate_condition(EvalConfig(condition=condition, count=3, **TINY))
    assert report["config"]["condition"] == condition
    assert 0.0 <= report["accuracy"] <= 1.0


def old_selection(config):
    """The selection `select_training_data` made before it called `tfgenaug.data.select`."""
    train, test, info = data.load(config.dataset, image_size=config.image_size)
    everything = data.as_numpy(train)
    if config.count:
        train = data.few_shot(train, config.count, seed=config.seed)
    if config.minority_classes:
        train = data.imbalance(train, list(config.minority_classes), config.imbalance_ratio,
                               seed=config.seed, num_classes=info.num_classes)
    images, labels = data.as_numpy(train)
    chosen = {image.tobytes() for image in images}
    left = np.array([image.tobytes() not in chosen for image in everything[0]], dtype=bool)
    return images, labels, *data.as_numpy(test), (everything[0][left], everything[1][left])


@pytest.mark.parametrize("fields", [
    {"count": 4, "seed": 1},
    {"minority_classes": (2, 5), "imbalance_ratio": 0.05, "seed": 3},
    {"count": 6, "minority_classes": [7], "imbalance_ratio": 0.5, "seed": 2},
])
def test_selection_is_data_select_image_for_image(fields):
    config = EvalConfig(image_size=8, **fields)
    images, labels, test_images, test_labels, info, pool = select_training_data(
        config, with_pool=True)
    expected = old_selection(config)
    for got, want in zip((images, labels, test_images, test_labels, *pool),
                         (*expected[:4], *expected[4]), strict=True):
        np.testing.assert_array_equal(got, want)
    assert info.num_classes == 10
