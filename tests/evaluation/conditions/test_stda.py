"""The `stda` condition: teacher, decoder, pseudo-labelled set, mix, and a test split unseen."""

import dataclasses

import numpy as np
import pytest

from tfgenaug.evaluation import CONDITIONS
from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import generator_trainer
from tfgenaug.evaluation import runner
from tfgenaug.evaluation import select_training_data
from tfgenaug.evaluation.conditions import stda as stda_condition

TINY = {"image_size": 8, "steps": 12, "width": 4, "batch_size": 16}


@pytest.fixture(scope="module")
def poisoned_run():
    """One tiny `stda` cell whose test images are NaN, with every pipeline stage spied on.

    A NaN image that reached any training (teacher, decoder, ST-DA set, final fit) would
    make weights or synthetic images NaN.
    """
    config = EvalConfig(condition="stda", count=3, seed=2, **TINY)
    images, labels, test_images, test_labels, info = select_training_data(config)
    poisoned = np.full_like(test_images, np.nan)
    calls = {"fits": [], "decoder": [], "stda_sets": [], "results": []}
    real_train = stda_condition.train_classifier
    real_decoder = stda_condition.train_decoder
    real_set = stda_condition.stda_training_set
    real_stda = stda_condition.train_stda

    def fit_spy(fit_config, fit_images, fit_labels, num_classes, **kwargs):
        calls["fits"].append((fit_config, fit_images, fit_labels, kwargs))
        return real_train(fit_config, fit_images, fit_labels, num_classes, **kwargs)

    def decoder_spy(encoder, decoder_images, decoder_config):
        calls["decoder"].append(decoder_images)
        return real_decoder(encoder, decoder_images, decoder_config)

    def set_spy(set_images, set_labels, **kwargs):
        result = real_set(set_images, set_labels, **kwargs)
        calls["stda_sets"].append((set_images, set_labels, kwargs, result))
        return result

    def stda_spy(*args, **kwargs):
        result = real_stda(*args, **kwargs)
        calls["results"].append(result)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "select_training_data",
                      lambda _: (images, labels, poisoned, test_labels, info))
        patch.setattr(stda_condition, "train_classifier", fit_spy)
        patch.setattr(stda_condition, "train_decoder", decoder_spy)
        patch.setattr(stda_condition, "stda_training_set", set_spy)
        patch.setattr(stda_condition, "train_stda", stda_spy)
        report = evaluate_condition(config)
    return {"config": config, "images": images, "labels": labels, "test_labels": test_labels,
            "report": report, **calls}


def test_stda_is_a_known_condition_without_a_generator():
    assert CONDITIONS[-1] == "stda"
    assert generator_trainer("stda") is None
    EvalConfig(condition="stda").validate()


def test_test_images_reach_no_training_only_the_final_evaluation(poisoned_run):
    classifier, teacher, _ = poisoned_run["results"][0]
    for model in (classifier, teacher):
        for weight in model.weights:
            assert np.all(np.isfinite(weight.numpy())), weight.path
    for _, fit_images, _, kwargs in poisoned_run["fits"]:
        assert np.all(np.isfinite(fit_images))
        assert np.all(np.isfinite(kwargs.get("real_images", fit_images)))
    np.testing.assert_array_equal(poisoned_run["decoder"][0], poisoned_run["images"])
    set_images, _, _, (synthetic, _, _) = poisoned_run["stda_sets"][0]
    np.testing.assert_array_equal(set_images, poisoned_run["images"])
    assert np.all(np.isfinite(synthetic))
    # The poisoned test split was what the report scored.
    assert poisoned_run["report"]["num_samples"] == len(poisoned_run["test_labels"])


def test_teacher_is_plain_and_the_final_fit_is_real_plus_kept_stda_images(poisoned_run):
    config, images, labels = (poisoned_run[k] for k in ("config", "images", "labels"))
    (teacher_config, teacher_images, teacher_labels, teacher_kwargs), final = (
        poisoned_run["fits"])
    assert teacher_config == dataclasses.replace(config, condition="plain")
    assert teacher_kwargs == {}
    np.testing.assert_array_equal(teacher_images, images)
    np.testing.assert_array_equal(teacher_labels, labels)
    final_config, final_images, final_labels, final_kwargs = final
    assert final_config.condition == "plain" and final_config.steps == config.steps
    # Batch-norm statistics (when recalibrated) come from the real images only.
    np.testing.assert_array_equal(final_kwargs["real_images"], images)
    _, _, kwargs, (synthetic, pseudo, dropped) = poisoned_run["stda_sets"][0]
    assert kwargs["threshold"] == stda_condition.STDA_THRESHOLD
    assert kwargs["num_per_image"] == stda_condition.STDA_NUM_PER_IMAGE
    np.testing.assert_array_equal(final_images, np.concatenate([images, synthetic]))
    np.testing.assert_array_equal(final_labels, np.concatenate([labels, pseudo]))
    details = poisoned_run["report"]["stda"]
    assert details["kept"] == len(pseudo) and details["dropped"] == dropped
    assert details["kept"] + details["dropped"] == len(labels) * details["num_per_image"]
    assert sum(details["kept_per_class"]) == details["kept"]
    assert details["real_share"] == pytest.approx(len(labels) / len(final_labels))
    assert details["decoder_steps"] == min(stda_condition.STDA_DECODER_STEPS, config.steps)


def test_report_has_the_stda_fields_and_the_real_training_counts(poisoned_run):
    report = poisoned_run["report"]
    assert report["config"]["condition"] == "stda"
    assert report["training_counts"] == [3] * 10
    assert 0.0 <= report["stda"]["teacher_accuracy"] <= 1.0
    assert np.isfinite(report["stda"]["decoder_loss"])


def test_a_given_teacher_is_not_retrained(monkeypatch):
    config = EvalConfig(condition="stda", count=2, seed=0, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    teacher = stda_condition.train_classifier(
        dataclasses.replace(config, condition="plain"), images, labels, 10)
    fits = []
    real_train = stda_condition.train_classifier

    def fit_spy(*args, **kwargs):
        fits.append(args)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(stda_condition, "train_classifier", fit_spy)
    classifier, returned, details = stda_condition.train_stda(config, images, labels, 10,
                                                              teacher=teacher)
    assert returned is teacher and classifier is not teacher
    assert len(fits) == 1
    assert len(fits[0][2]) == len(labels) + details["kept"]


def test_a_single_class_is_an_error_naming_labels():
    config = EvalConfig(condition="stda", **TINY)
    images = np.zeros((4, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="labels must hold at least two classes"):
        stda_condition.train_stda(config, images, np.zeros(4, np.int32), 10)
