"""SemiSupervisedGAN: losses by hand, unlabelled ids, XLA, EMA classifier, MirroredStrategy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import logsumexp
from tests.trainers.conftest import semi_supervised_batches
from tests.trainers.conftest import softplus
from tests.trainers.conftest import tiny_batches
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import SemiSupervisedGAN

TINY = {"noise_dim": 8, "width_multiplier": 0.05}


def make(**kwargs) -> SemiSupervisedGAN:
    return SemiSupervisedGAN(IMAGE_SHAPE, NUM_CLASSES, **{**TINY, **kwargs})


def test_discriminator_loss_terms_by_hand():
    trainer = make(gaussian_noise=0.0, dropout=0.0, unlabelled_weight=0.7)
    trainer.compile(jit_compile=False)
    images, labels = tiny_batches(1)
    labels[[1, 4, 6]] = -1
    noise = np.random.default_rng(1).uniform(size=(BATCH, 8)).astype("float32")
    fake_labels = np.arange(BATCH, dtype="int32") % NUM_CLASSES
    terms, _ = trainer.discriminator_maths(tf.constant(images), tf.constant(labels),
                                           tf.constant(noise), tf.constant(fake_labels))

    fake = trainer.generator([noise, fake_labels], training=True)
    real_logits = np.asarray(trainer.discriminator(images)["logits"], "float64")
    fake_logits = np.asarray(trainer.discriminator(fake)["logits"], "float64")
    mask = labels >= 0
    log_softmax = real_logits - logsumexp(real_logits)[:, None]
    labelled = -log_softmax[mask, labels[mask]].mean()  # mean over the labelled images
    unlabelled = (softplus(-logsumexp(real_logits)) + softplus(logsumexp(fake_logits))).mean()
    accuracy = (real_logits.argmax(axis=1)[mask] == labels[mask]).mean()
    np.testing.assert_allclose(terms["labelled_loss"], labelled, rtol=1e-5)
    np.testing.assert_allclose(terms["unlabelled_loss"], unlabelled, rtol=1e-5)
    np.testing.assert_allclose(terms["d_loss"], labelled + 0.7 * unlabelled, rtol=1e-5)
    np.testing.assert_allclose(terms["accuracy"], accuracy, rtol=1e-6)


def test_generator_loss_is_squared_feature_matching_by_hand():
    trainer = make(gaussian_noise=0.0, dropout=0.0)
    trainer.compile(jit_compile=False)
    images, _ = tiny_batches(1)
    noise = np.random.default_rng(2).uniform(size=(BATCH, 8)).astype("float32")
    fake_labels = np.zeros(BATCH, "int32")
    loss, grads = trainer.generator_maths(tf.constant(images), tf.constant(noise),
                                          tf.constant(fake_labels))
    fake = trainer.generator([noise, fake_labels], training=True)
    real_mean = np.asarray(trainer.discriminator(images)["features"]).mean(axis=0)
    fake_mean = np.asarray(trainer.discriminator(fake)["features"]).mean(axis=0)
    np.testing.assert_allclose(loss, np.mean((real_mean - fake_mean) ** 2), rtol=1e-4)
    assert len(grads) == len(trainer.generator.trainable_variables)


def test_fit_under_xla_moves_both_networks_and_the_ema_classifier():
    keras.utils.set_random_seed(0)
    trainer = make()
    trainer.initialize(tiny_batches(2)[0])
    trainer.compile(jit_compile=True)
    assert trainer.jit_compile
    ema_before = [np.array(w) for w in trainer.ema_weights]
    g_before = [np.array(w) for w in trainer.generator.trainable_variables]
    history = trainer.fit(semi_supervised_batches(), epochs=2, verbose=0).history
    assert set(history) >= {"d_loss", "labelled_loss", "unlabelled_loss", "g_loss", "accuracy"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert trainer.train_steps == 6
    assert any(not np.allclose(a, w) for a, w in zip(trainer.ema_weights, ema_before,
                                                     strict=True))
    assert any(not np.allclose(a, w) for a, w in zip(trainer.generator.trainable_variables,
                                                     g_before, strict=True))
    images = tiny_batches(1)[0]
    logits = trainer.classifier()(images)
    assert tuple(logits.shape) == (BATCH, NUM_CLASSES)
    np.testing.assert_array_equal(trainer.classify(images), np.argmax(logits, axis=-1))


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    """Gaussian noise and dropout off (Keras draws them per replica); the labelled share
    differs between the replicas' halves, so the global normalisers are what is tested."""
    def build():
        trainer = make(gaussian_noise=0.0, dropout=0.0)
        trainer.compile(jit_compile=False)
        return trainer

    keras.utils.set_random_seed(1)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    mirrored.reset_ema()
    single_logs = single.fit(semi_supervised_batches(2), epochs=1, verbose=0).history
    mirrored_logs = mirrored.fit(semi_supervised_batches(2), epochs=1, verbose=0).history
    for key, values in single_logs.items():
        np.testing.assert_allclose(mirrored_logs[key], values, atol=1e-4, rtol=1e-4, err_msg=key)
    for one, two in zip(single.weights, mirrored.weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-4, err_msg=one.path)


def test_config_round_trips():
    trainer = make(unlabelled_weight=0.25, ema_decay=0.99)
    config = trainer.get_config()
    assert config["unlabelled_weight"] == 0.25 and config["ema_decay"] == 0.99
    clone = SemiSupervisedGAN.from_config(config)
    assert clone.unlabelled_weight == 0.25 and clone.num_classes == NUM_CLASSES


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="unlabelled_weight must be a number >= 0; got -1"):
        make(unlabelled_weight=-1)
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\); got 1.0"):
        make(ema_decay=1.0)
    images = keras.Input(IMAGE_SHAPE)
    features = keras.layers.Flatten()(images)
    plain = keras.Model(images, keras.layers.Dense(NUM_CLASSES)(features))
    with pytest.raises(ValueError, match=r"discriminator must map images to a dict with "
                                         r"'logits' \(N, K\) and 'features'"):
        make(discriminator=plain)
    two_k = keras.Model(images, {"logits": keras.layers.Dense(2 * NUM_CLASSES)(features),
                                 "features": features})
    with pytest.raises(ValueError, match="must output 1 \\* num_classes = 3 logits; got 6"):
        make(discriminator=two_k)
    trainer = make()
    trainer.compile(jit_compile=False)
    images, labels = tiny_batches(1)
    labels[0] = -2
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\) or -1 "
                                         r"\(unlabelled\) \(num_classes=3\); got values from -2"):
        trainer.fit(images, labels, epochs=1, verbose=0)


def test_a_supervised_trainer_refuses_the_unlabelled_id():
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8, width=4, critic_width=4)
    trainer.compile(jit_compile=False)
    images, labels = tiny_batches(1)
    labels[0] = -1
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\) "
                                         r"\(num_classes=3\); got values from -1"):
        trainer.fit(images, labels, epochs=1, verbose=0)


def test_checkpoint_resume_ends_where_a_straight_run_ends(tmp_path):
    def build():
        keras.utils.set_random_seed(0)
        trainer = make(gaussian_noise=0.0, dropout=0.0)
        trainer.compile(jit_compile=False, run_eagerly=True)  # nothing to trace: fast
        return trainer

    batches = semi_supervised_batches(3)
    straight = build()
    straight.fit(batches, epochs=1, verbose=0)
    first = build()
    first.fit(batches.take(2), epochs=1, verbose=0)
    path = tf.train.Checkpoint(trainer=first).save(str(tmp_path / "ckpt"))
    resumed = build()
    tf.train.Checkpoint(trainer=resumed).restore(path).assert_existing_objects_matched()
    assert resumed.train_steps == 2
    for one, two in zip(first.ema_weights, resumed.ema_weights, strict=True):
        np.testing.assert_array_equal(np.array(one), np.array(two))
    resumed.fit(batches.skip(2), epochs=1, verbose=0)
    for one, two in zip(straight.weights, resumed.weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-5, err_msg=one.path)
    for one, two in zip(straight.ema_weights, resumed.ema_weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-5)


def test_classifier_parts_chain_to_the_ema_classifier():
    trainer = make()
    images, _ = tiny_batches(1, 0)
    trainer.initialize(images)
    trainer.compile(jit_compile=False)
    trainer.fit(semi_supervised_batches(1), epochs=1, verbose=0)
    extractor, head = trainer.classifier_parts()
    assert len(extractor.output_shape) == 4 and head.output_shape == (None, NUM_CLASSES)
    np.testing.assert_allclose(head(extractor(images)).numpy(),
                               trainer.classifier()(images).numpy(), rtol=1e-5, atol=1e-6)


def test_classifier_parts_name_the_layers_a_custom_discriminator_lacks():
    images = keras.Input(IMAGE_SHAPE)
    pooled = keras.layers.GlobalAveragePooling2D()(images)
    custom = keras.Model(images, {"logits": keras.layers.Dense(NUM_CLASSES)(pooled),
                                  "features": pooled})
    trainer = make(discriminator=custom)
    with pytest.raises(ValueError, match="this discriminator has no layers"):
        trainer.classifier_parts()
