"""The self_training condition: the pool pseudo-labelled by `tfgenaug.selftrain.self_train`."""

import dataclasses

import numpy as np

from tfgenaug import selftrain
from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import select_training_data
from tfgenaug.evaluation.conditions import self_training

TINY = {"image_size": 8, "steps": 3, "width": 4, "batch_size": 16}


class OracleWithDoubts:
    """Stands in for a trained classifier: right and sure on even pixels sums, unsure else."""

    output_shape = (None, 10)

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

    def fake_build(build_config, build_images, num_classes):
        assert build_config.condition == "plain" and num_classes == 10
        return OracleWithDoubts(lookup)

    def fake_fit(model, fit_config, fit_images, fit_labels, num_classes):
        assert fit_config.condition == "plain" and fit_config.steps == config.steps
        fits.append((fit_images, fit_labels))

    monkeypatch.setattr(self_training, "build_classifier", fake_build)
    monkeypatch.setattr(self_training, "fit_classifier", fake_fit)
    _, history = self_training.self_training(config, images, labels, pool, 10)
    # One fit per round that added images, plus the final fit on the grown set.
    assert len(fits) == len(history) + 1 <= self_training.SELF_TRAINING_ROUNDS + 1
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


def test_the_row_calls_the_librarys_self_train_with_the_benchmarks_settings(monkeypatch):
    config = EvalConfig(condition="self_training", count=3, seed=5, **TINY)
    calls = []

    def spy(build_model, labelled, unlabelled, **kwargs):
        calls.append((build_model, labelled, unlabelled, kwargs))
        return selftrain.self_train(build_model, labelled, unlabelled, **kwargs)

    monkeypatch.setattr(self_training, "self_train", spy)
    report = evaluate_condition(config)
    images, labels, _, _, _, (pool_images, pool_labels) = select_training_data(
        config, with_pool=True)
    assert len(calls) == 1
    build_model, labelled, unlabelled, kwargs = calls[0]
    np.testing.assert_array_equal(labelled[0], images)
    np.testing.assert_array_equal(labelled[1], labels)
    np.testing.assert_array_equal(unlabelled, pool_images)
    np.testing.assert_array_equal(kwargs.pop("unlabelled_labels"), pool_labels)
    fit = kwargs.pop("fit")
    assert kwargs.pop("predict_probabilities") is self_training.pool_probabilities
    assert kwargs == {"rounds": self_training.SELF_TRAINING_ROUNDS,
                      "threshold": self_training.SELF_TRAINING_THRESHOLD,
                      "class_balanced": True, "seed": config.seed, "vary_seed": False}
    assert (self_training.SELF_TRAINING_ROUNDS, self_training.SELF_TRAINING_THRESHOLD) == (
        2, 0.95)
    # Each fit is the plain classifier's: its network, config.steps steps.
    model = build_model()
    assert model.name.startswith("small_cnn") and int(model.optimizer.iterations) == 0
    fit(model, images, labels)
    assert int(model.optimizer.iterations) == config.steps
    probabilities = self_training.pool_probabilities(model, images)
    assert probabilities.dtype == np.float32 and probabilities.shape == (len(images), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert report["training_counts"] == [3] * 10
    assert isinstance(report["self_training"], list)


def test_an_empty_pool_is_one_plain_fit(monkeypatch):
    config = EvalConfig(condition="self_training", count=3, seed=0, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    fits = []

    def fake_train(fit_config, *args):
        fits.append(fit_config)
        return "model"

    monkeypatch.setattr(self_training, "train_classifier", fake_train)
    empty = (images[:0], labels[:0])
    assert self_training.self_training(config, images, labels, empty, 10) == ("model", [])
    assert fits == [dataclasses.replace(config, condition="plain")]
