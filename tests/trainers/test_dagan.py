"""DAGAN: the pair loss by hand, XLA, MirroredStrategy = one device, resume, bad inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tfgenaug import data
from tfgenaug.trainers import DAGAN


def make(**kwargs) -> DAGAN:
    return DAGAN(IMAGE_SHAPE, NUM_CLASSES, **{**TINY, "n_critic": 2, **kwargs})


def pairs(seed=0):
    images, labels = tiny_batches(4, seed)
    return data.same_class_pairs(images, labels, BATCH, seed=seed)


def test_same_class_pairs_pair_each_image_with_another_of_its_class_and_resume():
    images, labels = tiny_batches(4)
    stream = data.same_class_pairs(images, labels, BATCH, seed=1)
    batches = list(stream.take(6))
    flat = images.reshape(len(images), -1)
    for batch in batches:
        for image, partner, label in zip(batch["images"].numpy(), batch["partners"].numpy(),
                                         batch["labels"].numpy(), strict=True):
            i = int(np.flatnonzero((flat == image.reshape(-1)).all(1))[0])
            j = int(np.flatnonzero((flat == partner.reshape(-1)).all(1))[0])
            assert labels[i] == labels[j] == label
            assert i != j or (labels == label).sum() == 1
    resumed = next(iter(data.same_class_pairs(images, labels, BATCH, seed=1, start_step=4)))
    np.testing.assert_array_equal(resumed["partners"], batches[4]["partners"])
    with pytest.raises(ValueError, match="labels must have one class id per image"):
        data.same_class_pairs(images, labels[:3], BATCH)
    with pytest.raises(ValueError, match=r"images must be a non-empty \(N, H, W, C\) array"):
        data.same_class_pairs(images[:, :, :, 0], labels, BATCH)
    with pytest.raises(ValueError, match="labels must be int class ids >= 0"):
        data.same_class_pairs(images, labels - 1, BATCH)


def test_critic_and_generator_losses_by_hand():
    trainer = make()
    trainer.compile(jit_compile=False)
    batch = next(iter(pairs()))
    images, partners = batch["images"], batch["partners"]
    noise = tf.random.normal((BATCH, 8), seed=0)
    alpha = tf.fill([BATCH], 0.3)
    terms, _ = trainer.critic_maths(images, partners, noise, alpha)

    fake = trainer.generator([images, noise], training=True)
    real = trainer.discriminator([images, partners])["logits"].numpy()
    made = trainer.discriminator([images, fake])["logits"].numpy()
    between = partners + 0.3 * (fake - partners)
    with tf.GradientTape() as tape:
        tape.watch(between)
        out = trainer.discriminator([images, between])["logits"]
    norms = np.sqrt((tape.gradient(out, between).numpy() ** 2).sum(axis=(1, 2, 3)) + 1e-10)
    penalty = (norms - 1.0) ** 2
    np.testing.assert_allclose(terms["wasserstein"], (real - made).mean(), rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(terms["gradient_penalty"], penalty.mean(), rtol=1e-4)
    np.testing.assert_allclose(terms["d_loss"], (made - real + 10.0 * penalty).mean(),
                               rtol=1e-4, atol=1e-6)
    g_loss, _ = trainer.generator_maths(images, noise)
    np.testing.assert_allclose(g_loss, -made.mean(), rtol=1e-4, atol=1e-6)


def test_fit_under_xla_moves_both_networks_and_transform_keeps_the_shape():
    trainer = make()
    trainer.compile(jit_compile=True)
    before = [w.numpy().copy() for w in trainer.generator.trainable_weights]
    logs = trainer.fit(pairs(), steps_per_epoch=2, epochs=1, verbose=0).history
    assert trainer.jit_compile is True and trainer.train_steps == 2
    assert int(trainer.d_optimizer.iterations) == 4  # n_critic=2 per step
    assert all(np.isfinite(v[-1]) for v in logs.values())
    after = trainer.generator.trainable_weights
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after, strict=True))
    images, _ = tiny_batches(1)
    variants = trainer.transform(images[:3], seed=0)
    assert variants.shape == (3, *IMAGE_SHAPE)
    np.testing.assert_array_equal(variants, trainer.transform(images[:3], seed=0))
    assert trainer.transform(images[:0], seed=0).shape == (0, *IMAGE_SHAPE)


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    def build():
        trainer = make()
        trainer.compile(jit_compile=False)
        return trainer

    keras.utils.set_random_seed(2)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    single_logs = single.fit(pairs(), steps_per_epoch=2, epochs=1, verbose=0).history
    mirrored_logs = mirrored.fit(pairs(), steps_per_epoch=2, epochs=1, verbose=0).history
    for key, values in single_logs.items():
        np.testing.assert_allclose(mirrored_logs[key], values, atol=1e-4, rtol=1e-4, err_msg=key)
    for one, two in zip(single.weights, mirrored.weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-4, err_msg=one.path)


def test_checkpoint_resume_ends_where_a_straight_run_ends(tmp_path):
    def build():
        keras.utils.set_random_seed(0)
        trainer = make()
        trainer.compile(jit_compile=False, run_eagerly=True)
        return trainer

    straight = build()
    straight.fit(pairs(), steps_per_epoch=3, epochs=1, verbose=0)
    first = build()
    first.fit(pairs(), steps_per_epoch=2, epochs=1, verbose=0)
    path = tf.train.Checkpoint(trainer=first).save(str(tmp_path / "ckpt"))
    second = build()
    tf.train.Checkpoint(trainer=second).restore(path).assert_existing_objects_matched()
    images, labels = tiny_batches(4)
    second.fit(data.same_class_pairs(images, labels, BATCH, seed=0, start_step=2),
               steps_per_epoch=1, epochs=1, verbose=0)
    for one, two in zip(straight.weights, second.weights, strict=True):
        np.testing.assert_allclose(np.array(two), np.array(one), atol=1e-5, err_msg=one.path)


def test_config_round_trips():
    trainer = make(gp_weight=5.0)
    clone = DAGAN.from_config(trainer.get_config())
    assert (clone.gp_weight, clone.n_critic, clone.image_shape) == (5.0, 2, IMAGE_SHAPE)


def test_bad_inputs_name_the_argument():
    trainer = make()
    trainer.compile(jit_compile=False)
    images, labels = tiny_batches(1)
    with pytest.raises(ValueError, match="takes batches {'images', 'partners', 'labels'}"):
        trainer.fit(tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH),
                    epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"images must have shape \(N, 8, 8, 1\)"):
        trainer.transform(np.zeros((2, 16, 16, 1), np.float32))
    with pytest.raises(ValueError, match="to sample by label it needs source images"):
        trainer.sample([0, 1])
    with pytest.raises(ValueError, match=r"images must have shape \(N, 8, 8, 1\)"):
        trainer.set_sources(np.zeros((2, 16, 16, 1), np.float32), [0, 1])
    with pytest.raises(ValueError, match=r"classes \[2\] have none"):
        trainer.set_sources(images[:4], np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="generator must map \\[images"):
        DAGAN(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8,
              generator=keras.Sequential([keras.Input((8,)), keras.layers.Dense(64)]))
    bad = {"images": images, "partners": images * 300.0, "labels": labels}
    with pytest.raises(tf.errors.InvalidArgumentError, match="DAGAN.fit"):
        trainer.fit(tf.data.Dataset.from_tensor_slices(bad).batch(BATCH), epochs=1, verbose=0)


def test_sample_by_label_transforms_a_stored_image_of_that_class_and_survives_restore(
        tmp_path):
    images, labels = tiny_batches(2)
    trainer = make()
    trainer.compile(jit_compile=False)
    trainer.set_sources(images, labels)
    wanted = np.array([0, 1, 2, 2, 1, 0])
    noise = tf.random.normal((len(wanted), 8), seed=3)
    sampled = trainer.sample(wanted, noise=noise).numpy()
    sources = trainer.source_bank([noise, wanted]).numpy()
    flat = images.reshape(len(images), -1)
    for source, label in zip(sources, wanted, strict=True):  # a real image of the label
        matches = np.flatnonzero((flat == source.reshape(-1)).all(1))
        assert matches.size and labels[matches[0]] == label
    np.testing.assert_allclose(sampled, trainer.transform(sources, noise=noise).numpy(),
                               atol=1e-6)
    np.testing.assert_array_equal(trainer.sample(wanted, noise=noise).numpy(), sampled)
    # Other noise picks other sources: each class's images all get used.
    many = np.zeros(200, np.int32)
    picked = trainer.source_bank([tf.random.normal((200, 8), seed=1), many]).numpy()
    assert len({p.tobytes() for p in picked}) == int((labels == 0).sum())

    path = tf.train.Checkpoint(trainer=trainer).save(str(tmp_path / "ckpt"))
    clone = DAGAN.from_config(trainer.get_config())  # a bank of zeros, the right size
    assert clone.source_bank.count == len(images)
    tf.train.Checkpoint(trainer=clone).restore(path).assert_existing_objects_matched()
    np.testing.assert_allclose(clone.sample(wanted, noise=noise).numpy(), sampled, atol=1e-6)
