import numpy as np
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import losses


def test_one_discriminator_step_per_generator_step():
    trainer = DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=True)
    history = trainer.fit(tiny_dataset(3), epochs=1, verbose=0).history
    assert int(trainer.d_optimizer.iterations) == int(trainer.g_optimizer.iterations) == 3
    assert 0.0 <= history["d_real_accuracy"][0] <= 1.0


def test_discriminator_loss_is_the_minimax_loss_without_smoothing():
    trainer = DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    trainer.compile(jit_compile=False)
    images, labels = next(iter(tiny_dataset(1)))
    noise = tf.random.stateless_normal([8, 8], seed=[0, 1])
    terms, _ = trainer.discriminator_maths(images, labels, noise)
    fake = trainer.generator([noise, labels], training=True)
    real_logits = trainer.discriminator([images, labels], training=True)["logits"]
    fake_logits = trainer.discriminator([fake, labels], training=True)["logits"]
    expected = np.mean(losses.minimax_discriminator_loss(real_logits, fake_logits))
    np.testing.assert_allclose(terms["d_loss"], expected, rtol=1e-5)

