"""One classifier, one condition: data selection, validation, the report and its files."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from tfgenaug import data
from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import report_markdown
from tfgenaug.evaluation import runner
from tfgenaug.evaluation import select_training_data
from tfgenaug.evaluation import write_report

TINY = {"image_size": 8, "steps": 3, "width": 4, "batch_size": 16}


@pytest.mark.parametrize("field, value, message", [
    ("condition", "mixup", r"condition must be one of \["),
    ("imbalance_ratio", 0.0, r"imbalance_ratio must be a number in \(0, 1\]; got 0.0"),
    ("imbalance_ratio", 1.5, r"imbalance_ratio must be a number in \(0, 1\]; got 1.5"),
    ("count", -1, "count must be an integer >= 0"),
    ("steps", 0, "steps"),
    ("gan_rate", 2.0, r"gan_rate must be a number in \[0, 1\]"),
    ("dada_width_multiplier", 0.0, "dada_width_multiplier must be a number > 0; got 0.0"),
    ("dada_width_multiplier", "1", "dada_width_multiplier must be a number > 0; got '1'"),
])
def test_bad_fields_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        EvalConfig(**{field: value}).validate()


def test_gan_condition_needs_a_generator():
    with pytest.raises(ValueError, match="condition='dcgan' needs generator="):
        EvalConfig(condition="dcgan").validate()


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


class OracleWithDoubts:
    """Stands in for a trained classifier: right and sure on even pixels sums, unsure else."""

    def __init__(self, lookup):
        self.lookup = lookup

    def predict(self, images, **kwargs):
        logits = np.zeros((len(images), 10), np.float32)
        for row, image in enumerate(images):
            label, sure = self.lookup[image.tobytes()]
            logits[row, label] = 10.0 if sure else 0.5
        return logits


def test_self_training_moves_only_confident_pool_images_with_their_predicted_class(
        monkeypatch):
    config = EvalConfig(condition="self_training", count=3, seed=0, image_size=8)
    images, labels, _, _, _, pool = select_training_data(config, with_pool=True)
    lookup = {image.tobytes(): (int(label), row % 3 != 0)
              for row, (image, label) in enumerate(zip(*pool, strict=True))}
    fits = []

    def fake_train(fit_config, fit_images, fit_labels, num_classes):
        assert fit_config.condition == "plain" and fit_config.steps == config.steps
        fits.append((fit_images, fit_labels))
        return OracleWithDoubts(lookup)

    monkeypatch.setattr(runner, "train_classifier", fake_train)
    _, history = runner.self_training(config, images, labels, pool, 10)
    # One fit per round that added images, plus the final fit on the grown set.
    assert len(fits) == len(history) + 1 <= runner.SELF_TRAINING_ROUNDS + 1
    first = history[0]
    sure_counts = np.bincount([label for label, sure in lookup.values() if sure], minlength=10)
    assert first["added"] == 10 * sure_counts.min()  # class-balanced, confident only
    assert first["pseudo_label_accuracy"] == 1.0
    final_images, final_labels = fits[-1]
    np.testing.assert_array_equal(final_images[: len(images)], images)
    for image, label in zip(final_images[len(images):], final_labels[len(images):],
                            strict=True):
        true_label, sure = lookup[image.tobytes()]
        assert sure and label == true_label
    assert len(final_labels) == len(labels) + sum(h["added"] for h in history)


@pytest.mark.parametrize("condition", ["fgsm", "pgd", "same_class_mix"])
def test_other_conditions_train_and_report(condition):
    report = evaluate_condition(EvalConfig(condition=condition, count=3, **TINY))
    assert report["config"]["condition"] == condition
    assert 0.0 <= report["accuracy"] <= 1.0


def test_dada_classifier_condition_reports_the_ema_discriminator_itself():
    from tfgenaug.trainers import DADA

    trainer = DADA(image_shape=(8, 8, 1), num_classes=10, noise_dim=8, width_multiplier=0.05)
    config = EvalConfig(condition="dada_classifier", count=3, image_size=8, generator=trainer)
    report = evaluate_condition(config)
    _, _, test_images, test_labels, _ = select_training_data(config)
    expected = np.mean(trainer.classify(test_images) == test_labels)
    assert report["accuracy"] == pytest.approx(expected)


def test_batch_norm_statistics_are_those_of_the_real_images_unless_turned_off():
    config = EvalConfig(condition="classic", count=3, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    calibrated = runner.train_classifier(config, images, labels, 10)
    raw = runner.train_classifier(dataclasses.replace(config, recalibrate_bn=False), images,
                                  labels, 10)
    first = calibrated.get_layer("block0_bn0")
    # Input statistics of the first BN: its input is a linear map of the real images.
    conv = keras.Model(calibrated.inputs, calibrated.get_layer("block0_conv0").output)
    features = conv.predict(images, verbose=0).reshape(-1, first.moving_mean.shape[0])
    np.testing.assert_allclose(first.moving_mean.numpy(), features.mean(axis=0), atol=1e-5)
    assert not np.allclose(raw.get_layer("block0_bn0").moving_mean.numpy(),
                           features.mean(axis=0), atol=1e-5)


def test_dada_network_plain_trains_dadas_discriminator_network_on_real_batches():
    config = EvalConfig(condition="dada_network_plain", count=3, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    model = runner.train_classifier(config, images, labels, 10)
    assert model.name == "dada_network_classifier"
    assert model.output_shape == (None, 10)
    discriminator = model.get_layer("discriminator")
    assert discriminator.output["logits"].shape[-1] == 20  # 2K logits read by the class head
    assert float(model.optimizer.beta_1) == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(runner.DADA_LEARNING_RATE)
    assert int(model.optimizer.iterations) == config.steps
    report = evaluate_condition(config)
    assert 0.0 <= report["accuracy"] <= 1.0
