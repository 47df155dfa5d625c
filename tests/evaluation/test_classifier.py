"""The benchmark's classifier: seeded, built from the registry record, BN recalibrated."""

import dataclasses

import keras
import numpy as np

from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import classifier
from tfgenaug.evaluation import select_training_data

TINY = {"image_size": 8, "steps": 3, "width": 4, "batch_size": 16}


def test_batch_norm_statistics_are_those_of_the_real_images_unless_turned_off():
    config = EvalConfig(condition="classic", count=3, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    calibrated = classifier.train_classifier(config, images, labels, 10)
    raw = classifier.train_classifier(dataclasses.replace(config, recalibrate_bn=False),
                                      images, labels, 10)
    first = calibrated.get_layer("block0_bn0")
    # Input statistics of the first BN: its input is a linear map of the real images.
    conv = keras.Model(calibrated.inputs, calibrated.get_layer("block0_conv0").output)
    features = conv.predict(images, verbose=0).reshape(-1, first.moving_mean.shape[0])
    np.testing.assert_allclose(first.moving_mean.numpy(), features.mean(axis=0), atol=1e-5)
    assert not np.allclose(raw.get_layer("block0_bn0").moving_mean.numpy(),
                           features.mean(axis=0), atol=1e-5)


def test_train_classifier_is_seed_then_build_then_fit():
    config = EvalConfig(condition="plain", count=3, seed=4, **TINY)
    images, labels, _, _, _ = select_training_data(config)
    trained = classifier.train_classifier(config, images, labels, 10)
    keras.utils.set_random_seed(config.seed)
    batches = classifier.condition_batches(config, images, labels, 10)
    model = classifier.build_classifier(config, images, 10)
    assert int(model.optimizer.iterations) == 0
    classifier.fit_classifier(model, config, images, labels, 10, batches=batches)
    assert int(model.optimizer.iterations) == config.steps
    for a, b in zip(trained.weights, model.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
