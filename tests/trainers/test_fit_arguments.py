"""Sample weights: refused before any step by trainers whose losses ignore them, used by
the adversarial classifier trainer. (Held-out arguments: `test_held_out.py`.)"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import AdversarialTrainer

IMAGES, LABELS = tiny_batches(2)
WEIGHTS = np.linspace(0.5, 2.0, len(LABELS)).astype("float32")


@pytest.mark.parametrize("trainer_class", [WGANGP, DCGAN])
@pytest.mark.parametrize("call, where", [
    (lambda t: t.fit(IMAGES, LABELS, class_weight={0: 1.0, 1: 5.0, 2: 1.0}, verbose=0),
     r"fit\(class_weight=\.\.\.\)"),
    (lambda t: t.fit(IMAGES, LABELS, sample_weight=WEIGHTS, verbose=0),
     r"fit\(sample_weight=\.\.\.\)"),
    (lambda t: t.fit(tf.data.Dataset.from_tensor_slices((IMAGES, LABELS, WEIGHTS))
                     .batch(BATCH).repeat(), steps_per_epoch=100, verbose=0),  # long: probed
     r"fit on batches of 3 elements \(images, labels, sample_weight\)"),
])
def test_a_gan_trainer_refuses_weights_it_would_ignore(trainer_class, call, where):
    trainer = trainer_class(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile()  # "auto": refused before the compile-path probe too
    name = trainer_class.__name__
    with pytest.raises(ValueError, match=rf"^{name}\.{where}: {name} computes its losses in "
                                         r"its own train_step and does not weight samples.* "
                                         r"draw balanced batches instead"):
        call(trainer)
    assert trainer.train_steps == 0 and trainer.compile_path is None


def test_the_adversarial_trainer_weights_its_compiled_loss():
    """Zero weights: no loss, so no update; the weights reach Keras' compiled loss."""
    classifier = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(),
                                   keras.layers.Dense(NUM_CLASSES)])
    trainer = AdversarialTrainer(classifier, epsilon=0.05, rate=0.5)
    trainer.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=False,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [w.numpy().copy() for w in classifier.weights]
    logs = trainer.fit(IMAGES, LABELS, sample_weight=np.zeros_like(WEIGHTS), batch_size=BATCH,
                       epochs=1, verbose=0).history
    assert logs["loss"][-1] == 0.0
    for b, w in zip(before, classifier.weights, strict=True):
        np.testing.assert_array_equal(b, w.numpy())
    logs = trainer.fit(IMAGES, LABELS, sample_weight=WEIGHTS, batch_size=BATCH, epochs=1,
                       verbose=0).history
    assert logs["loss"][-1] > 0.0
