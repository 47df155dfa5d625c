"""Mixed precision: every GAN trainer trains under `mixed_bfloat16` on CPU; float16
wraps both optimizers in a `LossScaleOptimizer` (DAGAN: both policies, pair batches)."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import launch
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tests.trainers.conftest import tiny_dataset
from tfgenaug import data
from tfgenaug.trainers import DADA
from tfgenaug.trainers import DAGAN
from tfgenaug.trainers import DCGAN
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import SemiSupervisedGAN

TRAINERS = {
    "wgan_gp": lambda: WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=2),
    "dcgan": lambda: DCGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY),
    "dada": lambda: DADA(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8, width_multiplier=0.05,
                         gan_steps=100),
    "ssgan": lambda: SemiSupervisedGAN(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8,
                                       width_multiplier=0.05),
}


@pytest.mark.parametrize("policy", ["mixed_bfloat16"], indirect=True)
@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_bfloat16_steps_give_finite_float32_losses_and_samples(name, policy):
    trainer = TRAINERS[name]()
    assert any(layer.compute_dtype == "bfloat16" for layer in trainer.generator.layers)
    trainer.compile(jit_compile=False)
    assert not isinstance(trainer.d_optimizer, keras.optimizers.LossScaleOptimizer)
    logs = trainer.fit(tiny_dataset(2), epochs=1, verbose=0).history
    for key, values in logs.items():
        assert np.isfinite(values[-1]), key
    assert all(w.dtype == "float32" for w in trainer.generator.trainable_weights)

    images, labels = next(iter(tiny_dataset(1)))
    noise = trainer.replica_noise(tf.shape(labels)[0], draw=0)
    if name == "wgan_gp":
        terms, _ = trainer.critic_maths(images, labels, noise, tf.fill([8], 0.5))
    elif name == "dcgan":
        terms, _ = trainer.discriminator_maths(images, labels, noise)
    elif name == "ssgan":
        terms, _ = trainer.discriminator_maths(images, labels, noise, labels)
    else:
        terms, _ = trainer.discriminator_gan_maths(images, labels, noise, labels)
    for key, value in terms.items():
        assert value.dtype == tf.float32, key
        assert np.isfinite(value.numpy()), key

    samples = trainer.sample([0, 1, 2], seed=0)
    assert samples.dtype == tf.float32
    assert trainer([noise[:3], labels[:3]]).dtype == tf.float32


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_float16_wraps_both_optimizers_in_loss_scale_optimizers(policy):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=1)
    trainer.compile(jit_compile=False)
    for optimizer in (trainer.d_optimizer, trainer.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    before = [w.numpy().copy() for w in trainer.discriminator.trainable_weights]
    logs = trainer.fit(tiny_dataset(1), epochs=1, verbose=0).history
    assert np.isfinite(logs["d_loss"][-1]) and np.isfinite(logs["gradient_penalty"][-1])
    after = trainer.discriminator.trainable_weights
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after, strict=True))


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
def test_dagan_mixed_precision_trains_and_transforms_in_float32(policy):
    """DAGAN's pair batches under both policies: float16 scales its two losses."""
    trainer = DAGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=2)
    assert any(layer.compute_dtype == policy[len("mixed_"):]
               for layer in trainer.generator.layers)
    trainer.compile(jit_compile=False)
    for optimizer in (trainer.d_optimizer, trainer.g_optimizer):
        scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert scaled == (policy == "mixed_float16")
    images, labels = tiny_batches(4)
    before = [w.numpy().copy() for w in trainer.generator.trainable_weights]
    batches = data.same_class_pairs(images, labels, 8, seed=0)
    logs = trainer.fit(batches, steps_per_epoch=2, epochs=1, verbose=0).history
    for key, values in logs.items():
        assert np.isfinite(values[-1]), key
    after = trainer.generator.trainable_weights
    assert all(w.dtype == "float32" for w in after)
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after, strict=True))

    batch = next(iter(batches))
    noise = trainer.replica_noise(8, draw=0)
    terms, _ = trainer.critic_maths(batch["images"], batch["partners"], noise,
                                    tf.fill([8], 0.5))
    for key, value in terms.items():
        assert value.dtype == tf.float32, key
        assert np.isfinite(value.numpy()), key
    variants = trainer.transform(images[:3], seed=0)
    assert variants.dtype == tf.float32 and np.isfinite(variants.numpy()).all()


def test_float32_policy_keeps_the_plain_optimizers():
    trainer = TRAINERS["dcgan"]()
    trainer.compile()
    assert isinstance(trainer.d_optimizer, keras.optimizers.Adam)


def dfg_trainer():
    from tfgenaug.networks.dfg_networks import lenet5_split
    from tfgenaug.trainers import DFG

    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    return DFG(extractor, classifier, NUM_CLASSES, minority_classes=[0], noise_dim=8,
               generator_width=8, critic_width=4, n_critic=2, classifier_every=2)


_DFG_BFLOAT16 = """
import keras, numpy as np
from tests.trainers.conftest import tiny_dataset
from tests.trainers.test_mixed_precision import dfg_trainer
keras.config.set_dtype_policy("mixed_bfloat16")
for seed in range(3):
    keras.utils.set_random_seed(seed)
    trainer = dfg_trainer()
    assert any(layer.compute_dtype == "bfloat16" for layer in trainer.generator.layers)
    trainer.compile(jit_compile=False)
    assert not isinstance(trainer.ec_optimizer, keras.optimizers.LossScaleOptimizer)
    logs = trainer.fit(tiny_dataset(2), epochs=1, verbose=0).history  # a C-only step too
    assert "c_loss" in logs
    for key, values in logs.items():
        assert np.isfinite(values[-1]), (seed, key)
    assert all(w.dtype == "float32" for w in trainer.classifier.trainable_weights)
"""


def test_dfg_bfloat16_steps_give_finite_float32_losses():
    """Without oneDNN, in a fresh interpreter (`launch` starts one: TensorFlow reads
    `TF_ENABLE_ONEDNN_OPTS` while importing, so a fork would keep oneDNN on), on three seeds.

    With oneDNN on (TensorFlow's CPU default), DFG's bfloat16 step turns the generator's
    weights non-finite on its second step for most seeds (11 of 12 seen on 2026-12-02 in
    graph mode; on 2026-12-07, on a CPU with AMX-BF16, 3 of 4 in graph mode and 2 of 4
    eagerly, the seeds varying between runs, and finite under
    `tf.debugging.enable_check_numerics`), while with `TF_ENABLE_ONEDNN_OPTS=0` it stays
    finite: a oneDNN bfloat16 kernel, not this code. This test pins the maths; the oneDNN
    case is left open (README, "Mixed precision"; measured by
    `python -m benchmarks.dfg_bfloat16_onednn`).
    """
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    result = launch.run([sys.executable, "-c", _DFG_BFLOAT16], capture_output=True,
                            text=True, env=env, timeout=600, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_dfg_float16_wraps_its_three_optimizers_and_trains(policy):
    trainer = dfg_trainer()
    trainer.compile(jit_compile=False)
    for optimizer in (trainer.d_optimizer, trainer.g_optimizer, trainer.ec_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    before = [w.numpy().copy() for w in trainer.extractor.trainable_weights]
    logs = trainer.fit(tiny_dataset(1), epochs=1, verbose=0).history
    assert np.isfinite(logs["d_loss"][-1]) and np.isfinite(logs["ec_loss"][-1])
    after = trainer.extractor.trainable_weights
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after, strict=True))


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_fine_tuner_float16_scales_its_loss_and_trains(policy):
    from tfgenaug.networks.dfg_networks import lenet5_split
    from tfgenaug.trainers.fine_tune import FineTuner

    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    tuner = FineTuner(extractor, classifier, NUM_CLASSES)
    tuner.compile(jit_compile=False)
    assert isinstance(tuner.ec_optimizer, keras.optimizers.LossScaleOptimizer)
    before = [w.numpy().copy() for w in tuner.extractor.trainable_weights]
    logs = tuner.fit(tiny_dataset(2), epochs=1, verbose=0).history
    assert np.isfinite(logs["ec_loss"][-1]) and np.isfinite(logs["omega"][-1])
    after = tuner.extractor.trainable_weights
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after, strict=True))
    assert tuner(tf.zeros((2, *IMAGE_SHAPE))).dtype == tf.float32
