"""DADA: the 2K heads, the two stages, the EMA, XLA, MirroredStrategy, config and resume."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import small_dada_networks
from tests.trainers.conftest import tiny_batches
from tests.trainers.conftest import tiny_dataset
from tfgenaug.trainers import DADA
from tfgenaug.trainers import dada_heads

TINY = {"noise_dim": 8, "width_multiplier": 0.05}


def make(**kwargs) -> DADA:
    return DADA(IMAGE_SHAPE, NUM_CLASSES, **{**TINY, **kwargs})


def make_small(**kwargs) -> DADA:
    """`make` with `small_dada_networks` (a third of the XLA compiles and traces)."""
    switches = {k: kwargs[k] for k in ("gaussian_noise", "dropout") if k in kwargs}
    return make(**small_dada_networks(**switches), **kwargs)


def weights(network: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in network.weights]


# Three classes: real logits in the first three columns, fake logits in the last three.
LOGITS = np.array([[1.0, 2.0, 3.0, 10.0, 20.0, 30.0],
                   [-1.0, 0.5, 0.0, 0.0, 4.0, -2.0]], "float32")
LABELS = np.array([2, 1])


def test_source_head_pairs_the_real_and_fake_logit_of_the_label():
    np.testing.assert_allclose(dada_heads.source_logits(LOGITS, LABELS, 3),
                               [[3.0, 30.0], [0.5, 4.0]])
    pair = np.array([[3.0, 30.0], [0.5, 4.0]])
    log_softmax = pair - np.log(np.exp(pair).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(dada_heads.source_loss(LOGITS, LABELS, 3, real=True),
                               -log_softmax[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dada_heads.source_loss(LOGITS, LABELS, 3, real=False),
                               -log_softmax[:, 1], rtol=1e-5, atol=1e-6)


def test_class_head_sums_real_and_fake_logits_per_class():
    summed = np.array([[11.0, 22.0, 33.0], [-1.0, 4.5, -2.0]])
    np.testing.assert_allclose(dada_heads.class_logits(LOGITS, 3), summed)
    log_softmax = summed - np.log(np.exp(summed).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(dada_heads.class_loss(LOGITS, LABELS, 3),
                               -log_softmax[[0, 1], LABELS], rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(dada_heads.class_correct(LOGITS, [2, 0], 3), [1.0, 0.0])
    with pytest.raises(ValueError, match="2 \\* num_classes = 8"):
        dada_heads.class_logits(LOGITS, 4)


def test_feature_matching_is_the_mean_absolute_difference():
    value = dada_heads.feature_matching_loss(np.array([1.0, -1.0]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(value, 1.5)


def test_stages_generator_steps_and_ema_under_xla():
    """Stage 1: 2 G updates per D update; stage 2: G frozen, D and EMA move; all XLA."""
    trainer = make_small(gan_steps=2, ema_decay=0.9, aug=True, aug_flip=True)
    trainer.compile(jit_compile=True)
    data = tiny_dataset(4)
    logs = trainer.fit(data.take(2), epochs=1, verbose=0).history
    assert trainer.jit_compile is True
    assert (int(trainer.d_optimizer.iterations), int(trainer.g_optimizer.iterations)) == (2, 4)
    assert logs["stage"] == [1.0] and trainer.stage == 2

    g_before, d_before = weights(trainer.generator), trainer.discriminator.trainable_variables
    d_before = [np.array(v) for v in d_before]
    ema_before = [np.array(v) for v in trainer.ema_weights]
    logs = trainer.fit(data.skip(2).take(1), epochs=1, verbose=0).history
    assert logs["stage"] == [2.0] and np.isfinite(logs["d_loss"][0])
    assert (int(trainer.d_optimizer.iterations), int(trainer.g_optimizer.iterations)) == (3, 4)
    for before, after in zip(g_before, weights(trainer.generator), strict=True):
        np.testing.assert_array_equal(before, after)  # BN statistics included
    d_after = [np.array(v) for v in trainer.discriminator.trainable_variables]
    assert any(not np.allclose(b, a) for b, a in zip(d_before, d_after, strict=True))
    decay = min(0.9, (1 + 3) / (10 + 3))  # warm-up after the third D update
    assert float(trainer.current_ema_decay()) == pytest.approx(decay)
    for old, new, ema in zip(ema_before, d_after, trainer.ema_weights, strict=True):
        np.testing.assert_allclose(ema, decay * old + (1 - decay) * new, rtol=1e-5, atol=1e-6)


def test_classifier_and_classify_use_the_ema_weights():
    trainer = make(gan_steps=0, ema_decay=0.5)
    trainer.compile(jit_compile=False, run_eagerly=True)
    trainer.fit(tiny_dataset(2), epochs=1, verbose=0)
    images, _ = tiny_batches(1)
    classifier = trainer.classifier()
    assert classifier.output_shape == (None, NUM_CLASSES)
    copy = keras.Model.from_config(trainer.discriminator.get_config())
    copy.set_weights(trainer.discriminator.get_weights())
    for target, average in zip(copy.trainable_variables, trainer.ema_weights, strict=True):
        target.assign(average)
    expected = dada_heads.class_logits(copy(images, training=False)["logits"], NUM_CLASSES)
    np.testing.assert_allclose(classifier(images), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(trainer.classify(images), np.argmax(expected, axis=-1))
    with pytest.raises(ValueError, match=r"images must have shape \(N, 8, 8, 1\)"):
        trainer.classify(images[..., :0])


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    """Both stages on 2 replicas match one device. Gaussian noise and dropout are off:
    Keras draws them per replica from the same seed state, so their masks differ
    from a one-device run over the global batch (the trainer's own draws, noise,
    random labels and augmentation, are global and sliced per replica)."""
    def build(jit_compile):
        trainer = make_small(gan_steps=2, gaussian_noise=0.0, dropout=0.0, aug=True)
        trainer.compile(jit_compile=jit_compile)
        return trainer

    keras.utils.set_random_seed(1)
    # Without XLA on both sides: compiling stage 2's maths on each replica doubled this
    # test (72 s vs 38 s); the test below checks that it is requested, and the XLA test
    # above checks the compiled maths on one device.
    single = build(jit_compile=False)
    with mirrored_strategy.scope():
        mirrored = build(jit_compile=False)
    mirrored.set_weights(single.get_weights())
    mirrored.reset_ema()
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2

    single_logs = single.fit(tiny_dataset(3), epochs=3, steps_per_epoch=1, verbose=0).history
    mirrored_logs = mirrored.fit(tiny_dataset(3), epochs=3, steps_per_epoch=1, verbose=0).history
    assert single_logs["stage"] == [1.0, 1.0, 2.0]
    for key, values in single_logs.items():
        np.testing.assert_allclose(mirrored_logs[key], values, atol=1e-4, rtol=1e-4, err_msg=key)
    for network in ("generator", "discriminator"):
        for one, two in zip(weights(getattr(single, network)),
                            weights(getattr(mirrored, network)), strict=True):
            np.testing.assert_allclose(two, one, atol=1e-4, err_msg=network)
    for one, two in zip(single.ema_weights, mirrored.ema_weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-4)


def test_xla_under_mirrored_compiles_stage_2_maths_per_replica(mirrored_strategy):
    """Stage 1 (feature matching all-reduces) runs without XLA, stage 2's maths with it."""
    with mirrored_strategy.scope():
        trainer = make(gan_steps=1)
        trainer.compile(jit_compile=True)
    assert trainer.jit_compile is False and trainer.xla_per_replica is False
    maths = trainer.classifier_stage_maths()
    assert isinstance(maths, tf.types.experimental.PolymorphicFunction)
    assert maths.experimental_get_tracing_count() == 0 and maths._jit_compile is True
    with mirrored_strategy.scope():
        plain = make(gan_steps=1)
        plain.compile(jit_compile=False)
    assert plain.classifier_stage_maths() == plain.classifier_maths


def test_checkpoint_resume_continues_in_the_right_stage(tmp_path):
    """A run restored after step 2 (stage 2 from step 1) ends where a straight run ends."""
    def build():
        keras.utils.set_random_seed(0)
        trainer = make(gan_steps=1, gaussian_noise=0.0, dropout=0.0)
        trainer.compile(jit_compile=False, run_eagerly=True)  # nothing to trace: fast
        return trainer

    data = tiny_dataset(3)
    straight = build()
    straight.fit(data, epochs=1, verbose=0)

    first = build()
    first.fit(data.take(2), epochs=1, verbose=0)
    path = tf.train.Checkpoint(trainer=first).save(str(tmp_path / "ckpt"))
    resumed = build()
    assert resumed.stage == 1
    tf.train.Checkpoint(trainer=resumed).restore(path).assert_existing_objects_matched()
    assert resumed.stage == 2 and resumed.train_steps == 2
    for one, two in zip(first.ema_weights, resumed.ema_weights, strict=True):
        np.testing.assert_array_equal(np.array(one), np.array(two))
    resumed.fit(data.skip(2), epochs=1, verbose=0)
    for one, two in zip(weights(straight.discriminator), weights(resumed.discriminator),
                        strict=True):
        np.testing.assert_allclose(two, one, atol=1e-5)


def test_config_round_trip():
    trainer = make(gan_steps=7, ema_decay=0.99, aug=True, seed=3)
    clone = DADA.from_config(trainer.get_config())
    assert clone.noise_distribution == "uniform"
    assert clone.discriminator.count_params() == trainer.discriminator.count_params()
    for key, value in trainer.get_config().items():
        if key not in ("generator", "discriminator", "name"):
            assert clone.get_config()[key] == value, key


def test_sample_uses_the_generator():
    images = make().sample([0, 1, 2], seed=0).numpy()
    assert images.shape == (3, *IMAGE_SHAPE) and np.all(np.abs(images) <= 1.0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"gan_steps": -1}, "gan_steps must be an integer >= 0"),
        ({"generator_steps": 0}, "generator_steps must be a positive integer"),
        ({"ema_decay": 1.0}, r"ema_decay must be in \[0, 1\)"),
        ({"feature_matching_weight": -0.5}, "feature_matching_weight must be a number >= 0"),
        ({"translation": 1.5}, r"translation must be in \[0, 1\)"),
        ({"aug_flip": True}, r"aug_flip=True flips as part of aug's augmentation, which is "
                             r"off: pass aug=True too"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


def test_discriminator_must_give_2k_logits_and_features():
    from tfgenaug.networks import conditional_critic

    with pytest.raises(ValueError, match="'logits' .* and 'features'"):
        DADA(IMAGE_SHAPE, NUM_CLASSES, discriminator=conditional_critic(IMAGE_SHAPE, 3, 4))


def test_ema_decay_warms_up_then_stays_at_ema_decay():
    trainer = make(gan_steps=0, ema_decay=0.99)
    trainer.compile(jit_compile=False)
    for step, expected in [(0, 0.1), (1, 0.2 / 1.1), (90, 0.91), (10**6, 0.99)]:
        trainer.d_optimizer.iterations.assign(step)
        assert float(trainer.current_ema_decay()) == pytest.approx(expected, rel=1e-5)
