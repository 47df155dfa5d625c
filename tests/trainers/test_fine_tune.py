"""FineTuner: DFG's Original (delta_weight 0) and DELTA baselines."""

import keras
import numpy as np
import pytest

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import tiny_batches
from tests.trainers.conftest import tiny_dataset
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.fine_tune import FineTuner


def cross_entropy(logits, labels) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


def arrays(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.weights]


@pytest.mark.parametrize("delta_weight", [0.0, 0.01])
def test_first_step_loss_is_cross_entropy_plus_weighted_omega(delta_weight):
    """At step 0 E equals its source copy, so Omega is 0.5 ||W_C||^2 of C's last kernel;
    delta_weight 0 (Original) leaves plain cross-entropy."""
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    tuner = FineTuner(extractor, classifier, NUM_CLASSES, delta_weight=delta_weight)
    tuner.compile(jit_compile=False, run_eagerly=True)
    images, labels = tiny_batches(2)
    logits = tuner.classifier(tuner.extractor(images[:BATCH]))
    kernel = np.asarray(tuner.classifier.get_layer("logits").kernel, np.float64)
    omega = 0.5 * np.sum(kernel**2)
    source = arrays(tuner.source_extractor)

    logs = tuner.fit(tiny_dataset(2), epochs=2, steps_per_epoch=1, verbose=0).history
    assert tuner.train_steps == 2
    assert logs["omega"][0] == pytest.approx(omega, rel=1e-5)
    expected = cross_entropy(logits, labels[:BATCH]).mean() + delta_weight * omega
    assert logs["ec_loss"][0] == pytest.approx(expected, rel=1e-5)
    for before, after in zip(source, arrays(tuner.source_extractor), strict=True):
        np.testing.assert_array_equal(before, after)
    assert any(not np.allclose(b, a) for b, a in
               zip(source, arrays(tuner.extractor), strict=True))


def test_delta_weights_match_dfg_and_xla_matches_eager():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    images, labels = tiny_batches(2)
    dfg = DFG(extractor, classifier, NUM_CLASSES, noise_dim=8, generator_width=8,
              critic_width=4)
    dfg.update_attention(images, labels)

    def run(**compile_kwargs):
        keras.utils.set_random_seed(3)
        e, c = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
        e.set_weights(extractor.get_weights())
        c.set_weights(classifier.get_weights())
        tuner = FineTuner(e, c, NUM_CLASSES)
        tuner.compile(**compile_kwargs)
        weights = tuner.update_delta_weights(images, labels)
        logs = tuner.fit(tiny_dataset(2), epochs=2, steps_per_epoch=1, verbose=0).history
        return tuner, weights, logs

    xla, weights, xla_logs = run(jit_compile=True)
    np.testing.assert_allclose(weights, np.asarray(dfg.delta_weights), atol=1e-6)
    eager, _, eager_logs = run(jit_compile=False, run_eagerly=True)
    for key in FineTuner.metric_names:
        np.testing.assert_allclose(xla_logs[key], eager_logs[key], rtol=1e-4, atol=1e-6)
    for one, two in zip(arrays(xla.extractor), arrays(eager.extractor), strict=True):
        np.testing.assert_allclose(one, two, rtol=1e-4, atol=1e-5)


def test_bad_arguments_are_named_and_config_round_trips():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    with pytest.raises(ValueError, match="delta_weight must be a number >= 0; got -1"):
        FineTuner(extractor, classifier, NUM_CLASSES, delta_weight=-1)
    with pytest.raises(ValueError, match="classifier must output num_classes = 4 logits"):
        FineTuner(extractor, classifier, 4)
    tuner = FineTuner(extractor, classifier, NUM_CLASSES, delta_weight=0.0)
    with pytest.raises(ValueError, match="images must have shape"):
        tuner.update_delta_weights(np.zeros((2, 16, 16, 1)), [0, 1])
    clone = FineTuner.from_config(tuner.get_config())
    assert clone.delta_weight == 0.0 and clone.num_classes == NUM_CLASSES
    images = tiny_batches(1)[0]
    assert clone.classifier_model()(images).shape == (BATCH, NUM_CLASSES)
    np.testing.assert_allclose(tuner(images), tuner.classifier_model()(images), atol=1e-6)
