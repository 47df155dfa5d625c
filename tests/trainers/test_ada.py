"""Adaptive discriminator augmentation: the pure functions and the trainers' use of them."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.callbacks import TrainingCheckpoint
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import ada
from tfgenaug.trainers import diffaugment

SPEED = 80  # a batch of 8 moves p by 0.1


@pytest.mark.parametrize("target,speed,match", [
    (0.0, 10, r"ada_target must be a number in \(0, 1\) or None; got 0.0"),
    (1, 10, r"ada_target must be a number in \(0, 1\) or None; got 1"),
    ("0.6", 10, r"ada_target must be a number in \(0, 1\) or None; got '0.6'"),
    (0.6, 0, r"ada_speed must be a positive int \(images\); got 0"),
    (0.6, 2.5, r"ada_speed must be a positive int \(images\); got 2.5"),
])
def test_bad_options_name_the_argument(target, speed, match):
    with pytest.raises(ValueError, match=match):
        WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, ada_target=target, ada_speed=speed)


def test_gate_picks_augmented_rows_where_u_is_below_p():
    images = tf.zeros([4, 2, 2, 1])
    augmented = tf.ones([4, 2, 2, 1])
    out = ada.gate(images, augmented, tf.constant([0.1, 0.5, 0.29, 0.9]), 0.3).numpy()
    np.testing.assert_array_equal(out[:, 0, 0, 0], [1, 0, 1, 0])
    np.testing.assert_array_equal(ada.gate(images, augmented, tf.zeros([4]), 0.0), images)


def test_signals_and_the_probability_step():
    np.testing.assert_array_equal(ada.logistic_signal(tf.constant([[2.0], [-1.0], [0.5]])),
                                  [1, -1, 1])
    np.testing.assert_array_equal(ada.critic_signal(tf.constant([3.0, 0.0]),
                                                    tf.constant([1.0, 2.0])), [1, -1])
    assert float(ada.next_probability(0.2, 0.9, 0.6, 8, 80)) == pytest.approx(0.3)
    assert float(ada.next_probability(0.2, 0.1, 0.6, 8, 80)) == pytest.approx(0.1)
    assert float(ada.next_probability(0.05, 0.1, 0.6, 8, 80)) == 0.0  # clipped
    assert float(ada.next_probability(0.95, 0.9, 0.6, 8, 80)) == 1.0


def test_update_moves_p_by_the_signal_against_the_target():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, ada_target=0.6, ada_speed=SPEED)
    assert trainer.diffaugment == ("color", "translation", "cutout")  # the default policy
    assert float(trainer.ada_p) == 0.0
    trainer.update_ada(tf.constant(0.9), BATCH)
    trainer.update_ada(tf.constant(0.7), BATCH)
    assert float(trainer.ada_p) == pytest.approx(0.2)
    trainer.update_ada(tf.constant(0.5), BATCH)
    assert float(trainer.ada_p) == pytest.approx(0.1)


def test_p_zero_leaves_images_alone_and_p_one_augments_them():
    trainer = DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY, diffaugment="translation",
                    ada_target=0.6, ada_speed=SPEED)
    trainer.compile(jit_compile=False)  # the draws are keyed by the optimizer's step
    images = tf.random.uniform([BATCH, *IMAGE_SHAPE], -1, 1, seed=0)
    uniforms = trainer.diffaugment_draws(tf.constant(BATCH), first_draw=512, count=1)[0]
    assert uniforms.shape == (BATCH, 2 + 1)  # the gate's column, then translation's
    np.testing.assert_array_equal(trainer.augment(images, uniforms), images)
    trainer.ada_p.assign(1.0)

    np.testing.assert_allclose(trainer.augment(images, uniforms),
                               diffaugment.translate(images, uniforms[:, 1:]))


@pytest.mark.parametrize("trainer_class,options,moves,jit_compile", [
    # WGAN-GP counts the moves over 2 critic steps; compiling its unrolled critic steps
    # with XLA took 40-60 s of CI, so DCGAN's step covers ADA under XLA.
    (WGANGP, {"n_critic": 2}, 2, False),
    (DCGAN, {}, 1, True),
])
def test_fit_logs_p_which_moves_once_per_discriminator_step(trainer_class, options, moves,
                                                            jit_compile):
    trainer = trainer_class(IMAGE_SHAPE, NUM_CLASSES, **TINY, **options, ada_target=0.6,
                            ada_speed=SPEED)
    trainer.compile(jit_compile=jit_compile)
    logs = trainer.fit(tiny_dataset(1), epochs=1, verbose=0).history
    p = float(trainer.ada_p)
    assert logs["ada_p"][-1] == pytest.approx(p)
    steps = round(p * SPEED / BATCH)
    assert steps == pytest.approx(p * SPEED / BATCH) and 0 <= steps <= moves
    assert -1.0 <= logs["ada_signal"][-1] <= 1.0
    assert trainer.get_config()["ada_target"] == 0.6


def test_p_is_checkpointed(tmp_path):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, ada_target=0.6, ada_speed=SPEED)
    trainer.compile(jit_compile=False)
    trainer.ada_p.assign(0.7)
    checkpoint = TrainingCheckpoint(str(tmp_path))
    checkpoint.set_model(trainer)
    checkpoint.save()
    fresh = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, ada_target=0.6, ada_speed=SPEED)
    fresh.compile(jit_compile=False)
    restorer = TrainingCheckpoint(str(tmp_path))
    restorer.set_model(fresh)
    restorer.restore()
    assert float(fresh.ada_p) == pytest.approx(0.7)


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    def build():
        trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=2, ada_target=0.3,
                         ada_speed=SPEED)
        trainer.compile(jit_compile=False)
        return trainer

    keras.utils.set_random_seed(1)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    single_logs = single.fit(tiny_dataset(2), epochs=2, steps_per_epoch=1, verbose=0).history
    mirrored_logs = mirrored.fit(tiny_dataset(2), epochs=2, steps_per_epoch=1, verbose=0).history
    for key in ("ada_p", "ada_signal", "d_loss", "g_loss"):
        np.testing.assert_allclose(mirrored_logs[key], single_logs[key], atol=1e-4, err_msg=key)
    assert float(keras.ops.convert_to_numpy(mirrored.ada_p)) == pytest.approx(
        float(single.ada_p))
