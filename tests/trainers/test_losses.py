import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.trainers import losses


def test_wasserstein_losses():
    real = tf.constant([1.0, 2.0])
    fake = tf.constant([0.5, -1.0])
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(real, fake), [-0.5, -3.0])
    np.testing.assert_allclose(losses.wasserstein_generator_loss(fake), [-0.5, 1.0])


def test_minimax_and_modified_losses_golden():
    real = tf.constant([0.0, 2.0])
    fake = tf.constant([0.0, -2.0])
    softplus = np.log1p(np.exp(-2.0))
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(real, fake), [2 * np.log(2.0), 2 * softplus], rtol=1e-6
    )
    np.testing.assert_allclose(
        losses.modified_generator_loss(fake), [np.log(2.0), np.log1p(np.exp(2.0))], rtol=1e-6
    )


@pytest.mark.parametrize("norm", [0.5, 1.0, 3.0])
def test_gradient_penalty_of_a_linear_critic(norm):
    # D(x) = <w, x> has gradient w everywhere, so the penalty is (|w| - 1)^2 for every alpha.
    w = tf.fill([1, 2, 2, 1], norm / 2.0)  # |w| = sqrt(4 * (norm/2)^2) = norm
    real = tf.random.stateless_normal([3, 2, 2, 1], seed=[1, 2])
    fake = tf.random.stateless_normal([3, 2, 2, 1], seed=[3, 4])
    penalty = losses.gradient_penalty(
        lambda x: tf.reduce_sum(w * x, axis=[1, 2, 3]), real, fake, tf.constant([0.0, 0.5, 1.0])
    )
    np.testing.assert_allclose(penalty, [(norm - 1.0) ** 2] * 3, atol=1e-5)


def test_gradient_penalty_interpolates_between_real_and_fake():
    seen = []

    def critic(x):
        seen.append(x)
        return tf.reduce_sum(x, axis=[1, 2, 3])

    real = tf.zeros([2, 1, 1, 1])
    fake = tf.ones([2, 1, 1, 1])
    losses.gradient_penalty(critic, real, fake, tf.constant([0.25, 0.75]))
    np.testing.assert_allclose(tf.reshape(seen[0], [-1]), [0.25, 0.75])


def test_auxiliary_classifier_loss():
    logits = tf.constant([[0.0, 0.0], [10.0, 0.0]])
    np.testing.assert_allclose(
        losses.auxiliary_classifier_loss(tf.constant([1, 0]), logits),
        [np.log(2.0), np.log1p(np.exp(-10.0))],
        rtol=1e-5,
        atol=1e-6,
    )


def test_minimax_loss_with_smoothed_real_target():
    real = tf.constant([0.0])
    fake = tf.constant([-50.0])
    # BCE(target 0.9, logit 0) = log 2; the fake term vanishes.
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(real, fake, real_target=0.9), [np.log(2.0)], rtol=1e-5
    )
    # With logit 2: -(0.9 log s(2) + 0.1 log(1 - s(2))).
    s = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(
        losses.minimax_discriminator_loss(tf.constant([2.0]), fake, real_target=0.9),
        [-(0.9 * np.log(s) + 0.1 * np.log(1 - s))], rtol=1e-5,
    )


def test_semi_supervised_labelled_loss_is_cross_entropy_among_the_real_classes():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]], "float32")
    expected = [np.log(np.exp(2) + 1 + np.exp(-1)) - 2.0, np.log(3.0)]
    np.testing.assert_allclose(
        losses.semi_supervised_labelled_loss(tf.constant([0, 2]), logits), expected, rtol=1e-6)


def test_semi_supervised_unlabelled_loss_by_hand_with_the_fake_logit_at_zero():
    real = np.array([[1.0, 0.0], [-3.0, -3.0]], "float32")
    fake = np.array([[0.0, 0.0], [2.0, -1.0]], "float32")

    def p_real(logits):  # Z / (Z + exp(0)), the fake class's logit fixed at 0
        z = np.exp(logits).sum(axis=1)
        return z / (z + 1.0)

    expected = -np.log(p_real(real)) - np.log(1.0 - p_real(fake))
    np.testing.assert_allclose(losses.semi_supervised_unlabelled_loss(real, fake), expected,
                               rtol=1e-5)


def test_semi_supervised_unlabelled_loss_is_finite_for_huge_logits():
    big = tf.constant([[500.0, -500.0]])
    values = losses.semi_supervised_unlabelled_loss(big, -big)
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values, [500.0], rtol=1e-6)  # softplus(lse(-big)) = 500


def test_feature_matching_loss_is_the_mean_squared_gap_of_mean_features():
    real = tf.constant([1.0, 2.0, 3.0, 4.0])
    fake = tf.constant([1.0, 0.0, 3.0, 8.0])
    np.testing.assert_allclose(losses.squared_feature_matching_loss(real, fake), (4 + 16) / 4)
