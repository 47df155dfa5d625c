"""Held-out evaluation: a clear error for GAN trainers, Keras' own for classifier trainers."""

import keras
import numpy as np
import pytest

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import AdversarialTrainer


@pytest.mark.parametrize("trainer_class", [WGANGP, DCGAN])
@pytest.mark.parametrize("call, where", [
    (lambda t, x, y: t.evaluate(x, y, verbose=0), r"evaluate"),
    (lambda t, x, y: t.fit(x, y, validation_split=0.25, verbose=0),
     r"fit\(validation_data=\.\.\., validation_split=\.\.\.\)"),
    (lambda t, x, y: t.fit(x, y, validation_data=(x, y), verbose=0),
     r"fit\(validation_data=\.\.\., validation_split=\.\.\.\)"),
])
def test_a_gan_trainer_says_it_has_no_held_out_loss_before_any_step(trainer_class, call, where):
    trainer = trainer_class(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    images, labels = tiny_batches(2)
    name = trainer_class.__name__
    with pytest.raises(ValueError, match=rf"^{name}\.{where}: {name} computes its losses .*"
                                         r"tfgenaug\.metrics\.label_agreement"):
        call(trainer, images, labels)
    assert not trainer.can_evaluate()
    assert trainer.train_steps == 0


def test_a_classifier_trainer_with_a_loss_evaluates_and_validates_as_keras_does():
    classifier = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(),
                                   keras.layers.Dense(NUM_CLASSES)])
    trainer = AdversarialTrainer(classifier, epsilon=0.05)
    trainer.compile(optimizer="adam",
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"], jit_compile=False)
    assert trainer.can_evaluate()
    images, labels = tiny_batches(2)
    results = trainer.evaluate(images, labels, verbose=0, return_dict=True)
    logits = classifier.predict(images, verbose=0)
    np.testing.assert_allclose(results["accuracy"], np.mean(logits.argmax(-1) == labels))
    history = trainer.fit(images, labels, validation_split=0.25, verbose=0).history
    assert {"val_loss", "val_accuracy"} <= set(history)
