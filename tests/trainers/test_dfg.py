"""DFG: the 5:1 schedule, the E+C loss, GP, attention, XLA, MirroredStrategy, config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import tiny_batches
from tests.trainers.conftest import tiny_dataset
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.trainers import dfg_losses
from tfgenaug.trainers.dfg import DFG
from tfgenaug.trainers.dfg_callbacks import AttentionUpdate
from tfgenaug.trainers.dfg_protocol import attention_sample
from tfgenaug.trainers.dfg_protocol import choose_minority_classes
from tfgenaug.trainers.dfg_protocol import pretrain_source

TINY = {"noise_dim": 8, "generator_width": 8, "critic_width": 4}


def make(**kwargs) -> DFG:
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)  # maps 4x4x6
    return DFG(extractor, classifier, NUM_CLASSES, **{"minority_classes": [0], **TINY,
                                                      **kwargs})


def arrays(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.weights]


def cross_entropy(logits, labels) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


def test_schedule_five_critic_updates_per_step_and_c_every_other_step():
    """n_critic = 5: D takes 5 updates per G update; E+C one per step; C alone one more
    at step 2 (classifier_every=2: steps 2, 4, ..., never step 0). The first step's
    E+C loss is CE + 0.01 Omega with E still equal to its source copy, so Omega is
    only 0.5 ||W_C||^2 of C's last kernel."""
    trainer = make(n_critic=5, classifier_every=2)
    trainer.compile(jit_compile=False, run_eagerly=True)
    images, labels = tiny_batches(3)
    first_images, first_labels = images[:BATCH], labels[:BATCH]
    logits = trainer.classifier(trainer.extractor(first_images))
    kernel = np.asarray(trainer.classifier.get_layer("logits").kernel)
    omega = 0.5 * np.sum(kernel.astype(np.float64) ** 2)
    expected_ec = cross_entropy(logits, first_labels).mean() + 0.01 * omega
    source = arrays(trainer.source_extractor)

    logs = trainer.fit(tiny_dataset(3), epochs=3, steps_per_epoch=1, verbose=0).history
    assert int(trainer.d_optimizer.iterations) == 15
    assert int(trainer.g_optimizer.iterations) == 3
    assert int(trainer.ec_optimizer.iterations) == 3 + 1
    assert logs["c_loss"][:2] == [0.0, 0.0] and logs["c_loss"][2] > 0.0
    assert logs["omega"][0] == pytest.approx(omega, rel=1e-5)
    assert logs["ec_loss"][0] == pytest.approx(expected_ec, rel=1e-5)
    for before, after in zip(source, arrays(trainer.source_extractor), strict=True):
        np.testing.assert_array_equal(before, after)  # the source copy stays frozen
    assert any(not np.allclose(b, a) for b, a in
               zip(source, arrays(trainer.extractor), strict=True))


def test_critic_loss_is_wgan_with_gradient_penalty_on_feature_maps():
    trainer = make(gp_weight=10.0)
    trainer.compile(jit_compile=False)
    rng = np.random.default_rng(0)
    real = tf.constant(rng.normal(size=(4, 4, 4, 6)), tf.float32)
    fake = tf.constant(rng.normal(size=(4, 4, 4, 6)), tf.float32)
    alpha = tf.constant([0.1, 0.4, 0.6, 0.9])
    terms, grads = trainer.critic_maths(real, fake, alpha)

    critic = trainer.discriminator
    interpolated = real + alpha[:, None, None, None] * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        out = tf.reduce_sum(critic(interpolated))
    norms = np.linalg.norm(np.reshape(tape.gradient(out, interpolated), (4, -1)), axis=1)
    penalty = (norms - 1.0) ** 2
    distance = np.asarray(critic(fake) - critic(real))[:, 0]
    assert float(terms["gradient_penalty"]) == pytest.approx(penalty.mean(), rel=1e-4)
    assert float(terms["d_loss"]) == pytest.approx((distance + 10 * penalty).mean(), rel=1e-4)
    assert len(grads) == len(critic.trainable_variables)


def test_update_attention_and_callback():
    trainer = make(attention_every=2)
    trainer.compile(jit_compile=False, run_eagerly=True)
    images, labels = tiny_batches(3)
    sample_images, sample_labels = attention_sample(images, labels, per_class=4)
    assert np.bincount(sample_labels).tolist() == [4] * NUM_CLASSES

    # Independent expectation: zero each channel of E's maps by hand.
    features = np.asarray(trainer.extractor(sample_images))
    base = cross_entropy(trainer.classifier(features), sample_labels)
    increases = np.stack([
        cross_entropy(trainer.classifier(features * (np.arange(6) != j)), sample_labels) - base
        for j in range(6)
    ], axis=1)
    expected = dfg_losses.class_attention(increases, sample_labels, NUM_CLASSES)
    attention = trainer.update_attention(sample_images, sample_labels)
    np.testing.assert_allclose(attention, expected, atol=1e-5)
    np.testing.assert_allclose(trainer.generator.get_layer("class_attention").attention,
                               expected, atol=1e-5)
    # DELTA's weights come from the source copies, equal to E and C before training.
    np.testing.assert_allclose(trainer.delta_weights,
                               dfg_losses.delta_channel_weights(increases), atol=1e-5)

    callback = AttentionUpdate(images, labels, per_class=4)  # every = attention_every
    trainer.fit(tiny_dataset(3), epochs=1, verbose=0, callbacks=[callback])
    assert callback.updates == 2  # before steps 0 and 2


def test_generated_features_follow_the_attention():
    trainer = make()
    table = np.zeros((NUM_CLASSES, 6), "float32")
    table[1, [0, 4]] = 0.5
    trainer.attention_layer.attention.assign(table)
    features = np.asarray(trainer.sample_features([0, 1, 2], seed=1))
    np.testing.assert_array_equal(features[[0, 2]], 0.0)
    np.testing.assert_array_equal(features[1][..., [1, 2, 3, 5]], 0.0)
    assert np.abs(features[1][..., [0, 4]]).min() > 0.0
    np.testing.assert_array_equal(features, trainer.sample_features([0, 1, 2], seed=1))
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 3\)"):
        trainer.sample_features([3])


def test_xla_step_equals_the_eager_step():
    """The whole step compiled with XLA gives the eager step's losses (the stateless
    noise is the same bits with and without XLA)."""
    def run(**compile_kwargs):
        keras.utils.set_random_seed(2)
        trainer = make(n_critic=1, classifier_every=100)
        trainer.compile(**compile_kwargs)
        logs = trainer.fit(tiny_dataset(2), epochs=2, steps_per_epoch=1, verbose=0).history
        return trainer, logs

    xla, xla_logs = run(jit_compile=True)
    assert xla.jit_compile is True
    eager, eager_logs = run(jit_compile=False, run_eagerly=True)
    for key in ("d_loss", "gradient_penalty", "g_loss", "ec_loss", "omega", "accuracy"):
        assert np.all(np.isfinite(xla_logs[key])), key
        np.testing.assert_allclose(xla_logs[key], eager_logs[key], rtol=1e-4, atol=1e-5,
                                   err_msg=key)
    for one, two in zip(arrays(eager.generator), arrays(xla.generator), strict=True):
        np.testing.assert_allclose(two, one, atol=1e-4)


def test_mirrored_strategy_equals_one_device(mirrored_strategy):
    """2 replicas of half the batch give the one-device losses, weights and attention,
    the C-only step (step 2) included. Eager steps: the same maths as the compiled
    functions, without minutes of tracing under the strategy."""
    def build():
        trainer = make(n_critic=2, classifier_every=2, minority_classes=[0, 2])
        trainer.compile(jit_compile=False, run_eagerly=True)
        return trainer

    keras.utils.set_random_seed(1)
    single = build()
    with mirrored_strategy.scope():
        mirrored = build()
    mirrored.set_weights(single.get_weights())
    assert mirrored.distribute_strategy.num_replicas_in_sync == 2

    images, labels = tiny_batches(3)
    logs = {}
    for name, trainer in (("single", single), ("mirrored", mirrored)):
        callback = AttentionUpdate(images, labels, every=2, per_class=4)
        logs[name] = trainer.fit(tiny_dataset(3), epochs=3, steps_per_epoch=1, verbose=0,
                                 callbacks=[callback]).history
    assert logs["single"]["c_loss"][2] > 0.0
    for key, values in logs["single"].items():
        np.testing.assert_allclose(logs["mirrored"][key], values, rtol=1e-4, atol=1e-5,
                                   err_msg=key)
    for network in ("generator", "discriminator", "extractor", "classifier"):
        for one, two in zip(arrays(getattr(single, network)),
                            arrays(getattr(mirrored, network)), strict=True):
            np.testing.assert_allclose(two, one, atol=1e-4, err_msg=network)
    np.testing.assert_allclose(mirrored.attention, single.attention, atol=1e-5)


def test_classifier_model_checkpoint_and_config(tmp_path):
    trainer = make(minority_classes=[2, 0], seed=3, attention_every=7)
    images, _ = tiny_batches(1)
    model = trainer.classifier_model()
    assert model.output_shape == (None, NUM_CLASSES)
    expected = trainer.classifier(trainer.extractor(images))
    np.testing.assert_allclose(model(images), expected, rtol=1e-6)
    np.testing.assert_allclose(trainer(images), expected, rtol=1e-6)

    table = np.random.default_rng(0).uniform(size=(NUM_CLASSES, 6)).astype("float32")
    trainer.attention_layer.attention.assign(table)
    trainer.delta_weights.assign(np.full(6, 0.5, "float32"))
    path = tf.train.Checkpoint(trainer=trainer).save(str(tmp_path / "ckpt"))
    restored = make()
    tf.train.Checkpoint(trainer=restored).restore(path).assert_existing_objects_matched()
    np.testing.assert_allclose(restored.attention, table)
    np.testing.assert_allclose(restored.delta_weights, 0.5)

    clone = DFG.from_config(trainer.get_config())
    assert clone.minority_classes == [0, 2] and clone.seed == 3
    for key, value in trainer.get_config().items():
        if key not in ("extractor", "classifier", "generator", "discriminator", "name"):
            assert clone.get_config()[key] == value, key
    assert clone.generator.count_params() == trainer.generator.count_params()
    assert clone.feature_generator is clone.generator


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"minority_classes": [3]}, "minority_classes must be None or a non-empty"),
        ({"minority_classes": []}, "minority_classes must be None or a non-empty"),
        ({"n_critic": 0}, "n_critic must be a positive integer"),
        ({"gp_weight": -1.0}, "gp_weight must be a number >= 0"),
        ({"delta_weight": -1.0}, "delta_weight must be a number >= 0"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


def test_networks_must_fit_together():
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    other_extractor, _ = lenet5_split((16, 16, 1), NUM_CLASSES)
    with pytest.raises(ValueError, match="classifier must take the extractor's feature maps"):
        DFG(other_extractor, classifier, NUM_CLASSES)
    with pytest.raises(ValueError, match="classifier must output num_classes = 4"):
        DFG(extractor, classifier, 4)
    trainer = make()
    with pytest.raises(ValueError, match=r"images must have shape \(batch, 8, 8, 1\)"):
        trainer.update_attention(np.zeros((2, 16, 16, 1)), [0, 1])


def test_choose_minority_classes_is_a_seeded_shuffle_prefix():
    order = np.random.default_rng(4).permutation(10)
    assert choose_minority_classes(10, 3, seed=4) == sorted(order[:3].tolist())
    assert choose_minority_classes(10, 10) == list(range(10))
    with pytest.raises(ValueError, match=r"minor_class_num must be an int in \[1, 10\]"):
        choose_minority_classes(10, 0)


def test_pretrain_source_learns_a_separable_task():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, NUM_CLASSES, 96).astype("int32")
    images = rng.normal(0, 0.1, (96, *IMAGE_SHAPE)).astype("float32")
    images[:, :, :, 0] += (labels[:, None, None] - 1.0) * 0.8  # brightness encodes the class
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    before = cross_entropy(classifier(extractor(images)), labels).mean()
    result = pretrain_source(extractor, classifier, images, labels, steps=60, batch_size=32,
                             learning_rate=1e-2)
    logits = np.asarray(classifier(extractor(images)))
    assert cross_entropy(logits, labels).mean() < 0.5 * before
    assert np.mean(np.argmax(logits, axis=1) == labels) > 0.9
    assert np.isfinite(result["loss"])


def test_omega_gradient_is_the_kernel_decay_at_the_source():
    """At the source (E equals its copy) Omega's map term and its gradient are 0; its
    kernel term 0.5 ||W||^2 adds W to the last kernel's gradient (delta_weight = 1)."""
    images, labels = tiny_batches(1)
    batch = (tf.constant(images[:BATCH]), tf.constant(labels[:BATCH]))
    plain = make(delta_weight=0.0)
    regularised = make(delta_weight=1.0)
    regularised.set_weights(plain.get_weights())
    for trainer in (plain, regularised):
        trainer.compile(jit_compile=False)  # the maths scale by the optimizer's loss scale
    _, without = plain.extractor_classifier_maths(*batch)
    terms, with_omega = regularised.extractor_classifier_maths(*batch)
    kernel = regularised.classifier.get_layer("logits").kernel
    assert float(terms["omega"]) == pytest.approx(0.5 * np.sum(np.square(kernel)), rel=1e-5)
    for variable, one, two in zip(regularised._ec_variables(), without, with_omega,
                                  strict=True):
        expected = np.asarray(kernel) if variable is kernel else 0.0
        np.testing.assert_allclose(np.asarray(two) - np.asarray(one), expected, atol=1e-6,
                                   err_msg=variable.path)
