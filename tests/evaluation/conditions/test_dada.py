"""The DADA conditions: its EMA discriminator as the classifier, or its network trained plainly."""

import numpy as np
import pytest

from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import select_training_data
from tfgenaug.evaluation.classifier import train_classifier
from tfgenaug.evaluation.conditions import dada

TINY = {"image_size": 8, "steps": 3, "width": 4, "batch_size": 16}


def test_dada_classifier_condition_reports_the_ema_discriminator_itself():
    from tfgenaug.trainers import DADA

    trainer = DADA(image_shape=(8, 8, 1), num_classes=10, noise_dim=8, width_multiplier=0.05)
    config = EvalConfig(condition="dada_classifier", count=3, image_size=8, generator=trainer)
    report = evaluate_condition(config)
    _, _, test_images, test_labels, _ = select_training_data(config)
    expected = np.mean(trainer.classify(test_images) == test_labels)
    assert report["accuracy"] == pytest.approx(expected)


def test_dada_network_plain_trains_dadas_discriminator_network_on_real_batches():
    config = EvalConfig(condition="dada_network_plain", count=3, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    model = train_classifier(config, images, labels, 10)
    assert model.name == "dada_network_classifier"
    assert model.output_shape == (None, 10)
    discriminator = model.get_layer("discriminator")
    assert discriminator.output["logits"].shape[-1] == 20  # 2K logits read by the class head
    assert float(model.optimizer.beta_1) == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(dada.DADA_LEARNING_RATE)
    assert int(model.optimizer.iterations) == config.steps
    report = evaluate_condition(config)
    assert 0.0 <= report["accuracy"] <= 1.0
