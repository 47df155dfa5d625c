"""A `.keras` file restores a compiled trainer that goes on training as if never saved."""

import warnings

import keras
import numpy as np
import pytest

from tests.trainers.conftest import BATCH
from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import small_dada_networks
from tests.trainers.conftest import tiny_batches
from tests.trainers.conftest import tiny_dataset
from tests.trainers.test_dagan import make as make_dagan
from tests.trainers.test_dagan import pairs
from tfgenaug.networks.dfg_networks import lenet5_split
from tfgenaug.trainers import DADA
from tfgenaug.trainers import DFG
from tfgenaug.trainers import WGANGP
from tfgenaug.trainers import AdversarialTrainer
from tfgenaug.trainers import SemiSupervisedGAN


def dagan():
    trainer = make_dagan()
    trainer.set_sources(*tiny_batches(2))
    return trainer


# Networks without dropout or Gaussian noise: Keras' `.keras` format does not keep the
# state of those layers' seed generators (a TrainingCheckpoint does), so their draws
# after loading differ from an uninterrupted run's.
TRAINERS = {
    "wgan_gp with EMA, class head, DiffAugment and ADA": (
        lambda: WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=2, g_ema_decay=0.9,
                       aux_weight=0.5, diffaugment="color,translation", ada_target=0.6),
        tiny_dataset),
    "dagan": (dagan, pairs),
    "dada": (lambda: DADA(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8,
                          **small_dada_networks(gaussian_noise=0.0, dropout=0.0)),
             tiny_dataset),
    "dfg": (lambda: DFG(*lenet5_split(IMAGE_SHAPE, NUM_CLASSES), NUM_CLASSES,
                        minority_classes=[0], noise_dim=8, generator_width=8, critic_width=4),
            tiny_dataset),
    "ssgan": (lambda: SemiSupervisedGAN(IMAGE_SHAPE, NUM_CLASSES, noise_dim=8,
                                        width_multiplier=0.05, gaussian_noise=0.0,
                                        dropout=0.0),
              tiny_dataset),
}


def values(model: keras.Model) -> list[np.ndarray]:
    return [np.array(variable) for variable in model.variables]


@pytest.mark.parametrize("name", TRAINERS)
def test_a_loaded_trainer_is_compiled_and_continues_like_the_saved_one(name, tmp_path):
    make, batches = TRAINERS[name]
    keras.utils.set_random_seed(0)
    saved = make()
    saved.compile(jit_compile=False, steps_per_execution=1)
    saved.fit(batches(), steps_per_epoch=2, verbose=0)
    path = str(tmp_path / "trainer.keras")
    saved.save(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*compile.*")  # Keras' "not compiled"
        loaded = keras.models.load_model(path)
    assert type(loaded) is type(saved)
    assert loaded.train_steps == saved.train_steps == 2
    assert loaded.get_compile_config() == saved.get_compile_config()
    for before, after in zip(values(saved), values(loaded), strict=True):
        np.testing.assert_array_equal(after, before)
    # One more step each on the same batch: the optimizers' slots and counters came back.
    third = batches().skip(2)
    saved.fit(third, steps_per_epoch=1, verbose=0)
    loaded.fit(third, steps_per_epoch=1, verbose=0)
    assert loaded.train_steps == 3
    for before, after in zip(values(saved), values(loaded), strict=True):
        np.testing.assert_allclose(after, before, rtol=1e-6, atol=1e-7)


def test_the_config_keeps_the_optimizers_and_the_compile_path_request(tmp_path):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    assert trainer.get_compile_config() == {}
    trainer.compile(d_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.1),
                    g_optimizer=keras.optimizers.RMSprop(2e-3), steps_per_execution=2)
    path = str(tmp_path / "trainer.keras")
    trainer.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_compile_config()["jit_compile"] == "auto"
    assert loaded.compile_path is None  # "auto" measures again at the next fit
    assert loaded.steps_per_execution == 2
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert float(loaded.d_optimizer.learning_rate) == pytest.approx(3e-4)
    assert float(loaded.d_optimizer.beta_1) == pytest.approx(0.1)
    trainer.compile(jit_compile=True)
    trainer.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_compile_config()["jit_compile"] is True
    assert loaded.compile_path.jit_compile and loaded.compile_path.reason == "forced"


def test_an_uncompiled_trainer_loads_uncompiled_without_warnings(tmp_path):
    path = str(tmp_path / "trainer.keras")
    WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY).save(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*compile.*")
        loaded = keras.models.load_model(path)
    assert not loaded.compiled and loaded.train_steps == 0


def test_a_keras_loss_metrics_and_optimizer_come_back(tmp_path):
    classifier = keras.Sequential([keras.Input(IMAGE_SHAPE), keras.layers.Flatten(),
                                   keras.layers.Dense(NUM_CLASSES)])
    trainer = AdversarialTrainer(classifier, epsilon=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(0.01),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"], jit_compile=False)
    images, labels = tiny_batches(2)
    trainer.fit(images, labels, batch_size=BATCH, verbose=0)
    path = str(tmp_path / "trainer.keras")
    trainer.save(path)
    loaded = keras.models.load_model(path)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    assert int(loaded.optimizer.iterations) == int(trainer.optimizer.iterations) == 2
    logs = loaded.fit(images, labels, batch_size=BATCH, verbose=0).history
    assert {"loss", "accuracy"} <= set(logs)


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_a_loss_scaled_trainer_keeps_its_loss_scale(policy, tmp_path):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, n_critic=1)
    trainer.compile(g_optimizer=keras.optimizers.Adam(5e-4), jit_compile=False)
    trainer.fit(tiny_dataset(), steps_per_epoch=2, verbose=0)
    config = trainer.get_compile_config()["trainer_optimizers"]["g_optimizer"]
    assert config["class_name"] == "Adam"  # recorded unwrapped, wrapped again on loading
    trainer.d_optimizer.dynamic_scale.assign(1024.0)  # not the initial 2**15
    path = str(tmp_path / "trainer.keras")
    trainer.save(path)
    loaded = keras.models.load_model(path)
    assert float(loaded.d_optimizer.dynamic_scale) == 1024.0
    for name in ("d_optimizer", "g_optimizer"):
        optimizer = getattr(loaded, name)
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer), name
        assert float(optimizer.dynamic_scale) == float(getattr(trainer, name).dynamic_scale)
    assert float(loaded.g_optimizer.learning_rate) == pytest.approx(5e-4)
    assert loaded.train_steps == 2
