"""DADA with unlabelled images (`semi_supervised=True`): losses by hand, XLA, mirrored."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import logsumexp
from tests.trainers.conftest import semi_supervised_batches
from tests.trainers.conftest import small_dada_networks
from tests.trainers.conftest import softplus
from tests.trainers.conftest import tiny_batches
from tfgenaug.trainers import DADA
from tfgenaug.trainers import dada_heads

TINY = {"noise_dim": 8, "width_multiplier": 0.05}
UNLABELLED_ROWS = [1, 4, 6]


def make(**kwargs) -> DADA:
    return DADA(IMAGE_SHAPE, NUM_CLASSES, **{**TINY, "semi_supervised": True, **kwargs})


def make_small(**kwargs) -> DADA:
    """`make` with `small_dada_networks` (a third of the XLA compiles and traces)."""
    switches = {k: kwargs[k] for k in ("gaussian_noise", "dropout") if k in kwargs}
    return make(**small_dada_networks(**switches), **kwargs)


def test_unlabelled_source_loss_marginalises_the_classes_by_hand():
    logits = np.array([[1.0, 2.0, 3.0, 10.0, 20.0, 30.0],
                       [-1.0, 0.5, 0.0, 0.0, 4.0, -2.0]], "float32")
    real, fake = logsumexp(logits[:, :3]), logsumexp(logits[:, 3:])
    np.testing.assert_allclose(dada_heads.unlabelled_source_loss(logits, 3),
                               -np.log(np.exp(real) / (np.exp(real) + np.exp(fake))),
                               rtol=1e-5)
    np.testing.assert_allclose(dada_heads.unlabelled_source_loss(np.zeros((1, 4)), 2),
                               [np.log(2.0)], rtol=1e-6)


def _pieces(trainer, images, labels, noise, fake_labels, training_generator):
    fake = trainer.generator([noise, fake_labels], training=training_generator)
    real_logits = np.asarray(trainer.discriminator(images)["logits"], "float64")
    fake_logits = np.asarray(trainer.discriminator(fake)["logits"], "float64")
    return real_logits, fake_logits, labels >= 0


def _inputs():
    images, labels = tiny_batches(1)
    labels[UNLABELLED_ROWS] = -1
    noise = np.random.default_rng(1).uniform(size=(BATCH, 8)).astype("float32")
    fake_labels = np.arange(BATCH, dtype="int32") % NUM_CLASSES
    return images, labels, noise, fake_labels


def _log_softmax(x):
    return x - logsumexp(x)[:, None]


def test_stage_1_discriminator_loss_by_hand():
    trainer = make(gaussian_noise=0.0, dropout=0.0)
    trainer.compile(jit_compile=False)
    images, labels, noise, fake_labels = _inputs()
    terms, _ = trainer.discriminator_gan_maths(*map(tf.constant, (images, labels, noise,
                                                                  fake_labels)))
    real, fake, mask = _pieces(trainer, images, labels, noise, fake_labels, True)
    k, rows = NUM_CLASSES, np.arange(BATCH)
    ids = np.maximum(labels, 0)
    labelled = -_log_softmax(np.stack([real[rows, ids], real[rows, k + ids]], 1))[:, 0]
    unknown = softplus(logsumexp(real[:, k:]) - logsumexp(real[:, :k]))
    fake_term = -_log_softmax(np.stack([fake[rows, fake_labels], fake[rows, k + fake_labels]],
                                       1))[:, 1]
    expected = np.where(mask, labelled, unknown) + fake_term
    np.testing.assert_allclose(terms["d_loss"], expected.mean(), rtol=1e-5)
    class_ids = (real[:, :k] + real[:, k:]).argmax(1)
    np.testing.assert_allclose(terms["accuracy"], (class_ids == labels)[mask].mean(), rtol=1e-6)


def test_stage_2_class_loss_is_a_mean_over_the_labelled_images_by_hand():
    trainer = make(gaussian_noise=0.0, dropout=0.0)
    trainer.compile(jit_compile=False)
    images, labels, noise, fake_labels = _inputs()
    terms, _ = trainer.classifier_maths(*map(tf.constant, (images, labels, noise,
                                                           fake_labels)))
    real, fake, mask = _pieces(trainer, images, labels, noise, fake_labels, False)
    k = NUM_CLASSES
    real_classes = _log_softmax(real[:, :k] + real[:, k:])
    fake_classes = _log_softmax(fake[:, :k] + fake[:, k:])
    expected = (-real_classes[mask, labels[mask]].mean()
                - fake_classes[np.arange(BATCH), fake_labels].mean())
    np.testing.assert_allclose(terms["d_loss"], expected, rtol=1e-5)


def test_without_semi_supervised_the_unlabelled_id_is_refused():
    trainer = make(semi_supervised=False)
    trainer.compile(jit_compile=False)
    images, labels, _, _ = _inputs()
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
        trainer.fit(images, labels, batch_size=BATCH, epochs=1, verbose=0)


def test_both_stages_train_under_xla_on_mixed_batches():
    trainer = make_small(gan_steps=2, aug=True)
    trainer.compile(jit_compile=True)
    logs = trainer.fit(semi_supervised_batches(3), epochs=1, verbose=0).history
    assert trainer.stage == 2 and int(trainer.d_optimizer.iterations) == 3
    assert all(np.isfinite(values[-1]) for values in logs.values())
    assert DADA.from_config(trainer.get_config()).semi_supervised is True


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    """The labelled share of the replicas' halves differs (1 and 0), so the global
    normalisers of both stages are what is tested; noise and dropout are off."""
    def build():
        trainer = make_small(gan_steps=2, gaussian_noise=0.0, dropout=0.0)
        trainer.compile(jit_compile=False)
        return trainer

    keras.utils.set_random_seed(1)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    mirrored.reset_ema()
    single_logs = single.fit(semi_supervised_batches(3), epochs=3, steps_per_epoch=1,
                             verbose=0).history
    mirrored_logs = mirrored.fit(semi_supervised_batches(3), epochs=3, steps_per_epoch=1,
                                 verbose=0).history
    assert single_logs["stage"] == [1.0, 1.0, 2.0]
    for key, values in single_logs.items():
        np.testing.assert_allclose(mirrored_logs[key], values, atol=1e-4, rtol=1e-4, err_msg=key)
    for one, two in zip(single.weights, mirrored.weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-4, err_msg=one.path)
