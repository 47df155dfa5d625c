import numpy as np
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.trainers import WGANGP


def test_n_critic_critic_steps_per_generator_step():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=3)
    trainer.compile(jit_compile=True)
    trainer.fit(tiny_dataset(2), epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 2
    assert int(trainer.d_optimizer.iterations) == 6


def test_auxiliary_classifier_head_is_trained():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=1, aux_weight=1.0)
    assert "class_logits" in trainer.discriminator.output
    head = trainer.discriminator.get_layer("class_logits")
    before = head.kernel.numpy().copy()
    trainer.compile(jit_compile=True)
    trainer.fit(tiny_dataset(2), epochs=1, verbose=0)
    assert not np.allclose(before, head.kernel.numpy())


def test_critic_loss_terms_match_their_formula():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, gp_weight=10.0)
    trainer.compile(jit_compile=False)
    images, labels = next(iter(tiny_dataset(1)))
    noise = tf.random.stateless_normal([8, 8], seed=[0, 1])
    alpha = tf.fill([8], 0.5)
    terms, grads = trainer.critic_maths(images, labels, noise, alpha)
    np.testing.assert_allclose(
        terms["d_loss"], -terms["wasserstein"] + 10.0 * terms["gradient_penalty"], rtol=1e-5
    )
    assert len(grads) == len(trainer.discriminator.trainable_variables)
