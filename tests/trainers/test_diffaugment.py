"""DiffAugment: the ops are differentiable and exact, the draws are keyed by the step,
and WGANGP / DCGAN train with it under XLA."""

import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_dataset
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import diffaugment

POLICY = "color,translation,cutout"
IMAGES = tf.constant(
    np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 3)).astype("float32")
)
OPS = {
    "brightness": lambda x, u: diffaugment.adjust_brightness(x, u[:, 0]),
    "saturation": lambda x, u: diffaugment.adjust_saturation(x, u[:, 0]),
    "contrast": lambda x, u: diffaugment.adjust_contrast(x, u[:, 0]),
    "translation": diffaugment.translate,
    "cutout": diffaugment.cutout,
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_op_keeps_the_shape_and_passes_gradients(name):
    u = tf.constant([[0.1, 0.9], [0.5, 0.5], [0.9, 0.2], [0.3, 0.7]])
    with tf.GradientTape() as tape:
        tape.watch(IMAGES)
        out = OPS[name](IMAGES, u)
        loss = tf.reduce_sum(out * tf.random.stateless_normal(out.shape, seed=[0, 1]))
    grad = tape.gradient(loss, IMAGES)
    assert out.shape == IMAGES.shape and out.dtype == IMAGES.dtype
    assert grad is not None and np.all(np.isfinite(grad))
    assert np.count_nonzero(grad) > 0.5 * grad.numpy().size  # cutout zeroes at most 1/4


def test_colour_ops_stay_in_their_documented_ranges():
    ones = tf.ones([1])
    np.testing.assert_allclose(diffaugment.adjust_brightness(IMAGES, 0.0 * ones), IMAGES - 0.5)
    # Saturation 2u = 1 and contrast u + 0.5 = 1 are identities.
    np.testing.assert_allclose(diffaugment.adjust_saturation(IMAGES, 0.5 * ones), IMAGES,
                               atol=1e-6)
    np.testing.assert_allclose(diffaugment.adjust_contrast(IMAGES, 0.5 * ones), IMAGES,
                               atol=1e-6)
    gray = diffaugment.adjust_saturation(IMAGES, 0.0 * ones).numpy()
    np.testing.assert_allclose(gray, np.repeat(gray[..., :1], 3, axis=-1), atol=1e-6)


def test_translation_shifts_whole_pixels_with_zero_fill():
    # 8 px at ratio 1/8: shifts in [-1, 1]; u = 0 -> -1 (up), u = 0.99 -> +1 (right).
    out = diffaugment.translate(IMAGES[:1], tf.constant([[0.0, 0.99]])).numpy()[0]
    x = IMAGES.numpy()[0]
    np.testing.assert_allclose(out[:-1, 1:], x[1:, :-1])
    assert np.all(out[-1] == 0) and np.all(out[:, 0] == 0)
    same = diffaugment.translate(IMAGES, tf.fill([4, 2], 0.5))  # shift 0
    np.testing.assert_allclose(same, IMAGES)


def test_cutout_zeroes_one_square_of_half_the_side():
    ones = tf.ones([1, 8, 8, 1])
    out = diffaugment.cutout(ones, tf.constant([[0.5, 0.5]])).numpy()[0, :, :, 0]
    expected = np.ones((8, 8))
    expected[2:6, 2:6] = 0  # centre (4, 4), side 4
    np.testing.assert_array_equal(out, expected)
    corner = diffaugment.cutout(ones, tf.constant([[0.0, 0.0]])).numpy()[0, :, :, 0]
    assert corner.sum() == 64 - 4  # clipped at the border: a 2 x 2 corner


def test_policy_parsing_and_errors():
    assert diffaugment.parse_policy(None) == ()
    assert diffaugment.parse_policy(" color, cutout ") == ("color", "cutout")
    assert diffaugment.num_uniforms(diffaugment.parse_policy(POLICY)) == 7
    with pytest.raises(ValueError, match="diffaugment must be a comma-separated subset"):
        diffaugment.parse_policy("color,flip")
    with pytest.raises(ValueError, match="diffaugment must not repeat"):
        WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, diffaugment="color,color")


def test_draws_are_keyed_by_the_step():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, diffaugment=POLICY)
    trainer.compile(jit_compile=False)
    a = trainer.diffaugment_draws(tf.constant(8), first_draw=512, count=2)
    b = trainer.diffaugment_draws(tf.constant(8), first_draw=512, count=2)
    assert a[0].shape == (8, 7)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], a[1])
    trainer.g_optimizer.iterations.assign_add(1)
    c = trainer.diffaugment_draws(tf.constant(8), first_draw=512, count=1)
    assert not np.allclose(a[0], c[0])
    plain = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    plain.compile(jit_compile=False)
    assert plain.diffaugment_draws(tf.constant(8), first_draw=512, count=2) == []


@pytest.mark.parametrize("trainer_class", [WGANGP, DCGAN], ids=["wgan_gp", "dcgan"])
def test_tiny_fit_with_xla_and_config(trainer_class):
    kwargs = {"n_critic": 1} if trainer_class is WGANGP else {}
    trainer = trainer_class(IMAGE_SHAPE, NUM_CLASSES, **TINY, **kwargs, diffaugment=POLICY)
    trainer.compile(jit_compile=True)
    logs = trainer.fit(tiny_dataset(2), epochs=1, verbose=0).history
    for key, values in logs.items():
        assert np.isfinite(values[-1]), key
    assert trainer.get_config()["diffaugment"] == POLICY
    clone = trainer_class.from_config(trainer.get_config())
    assert clone.diffaugment == ("color", "translation", "cutout")


def test_critic_sees_augmented_images():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, diffaugment=POLICY)
    trainer.compile(jit_compile=False)
    images, labels = next(iter(tiny_dataset(1)))
    noise = tf.random.stateless_normal([8, 8], seed=[0, 1])
    alpha = tf.fill([8], 0.5)
    plain, _ = trainer.critic_maths(images, labels, noise, alpha)
    u = tf.random.stateless_uniform([8, 7], seed=[0, 2])
    augmented, grads = trainer.critic_maths(images, labels, noise, alpha, u, u[::-1])
    assert not np.isclose(plain["wasserstein"], augmented["wasserstein"])
    assert all(g is not None for g in grads)
