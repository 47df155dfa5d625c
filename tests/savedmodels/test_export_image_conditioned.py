"""Export of an image-conditioned generator (DAGAN): `transform` besides the label signatures."""

import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tests.trainers.conftest import tiny_batches
from tfgenaug import savedmodels
from tfgenaug.trainers import DAGAN


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    trainer = DAGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    images, labels = tiny_batches(2)
    trainer.set_sources(images, labels)
    path = savedmodels.export(trainer, str(tmp_path_factory.mktemp("exports")))
    return trainer, path


def test_transform_reloads_with_plain_tensorflow_and_matches_the_trainer(exported):
    trainer, path = exported
    images, _ = tiny_batches(1, seed=5)
    noise = tf.random.normal((len(images), TINY["noise_dim"]), seed=0)
    restored = tf.saved_model.load(path)
    served = restored.signatures["transform"](images=tf.constant((images + 1) / 2),
                                              noise=noise)["images"].numpy()
    expected = (trainer.transform(images, noise=noise).numpy() + 1) / 2
    np.testing.assert_allclose(served, expected, atol=1e-5)
    # The label signatures transform the stored sources of each label.
    labels = tf.constant([0, 1, 2, 2])
    generated = restored.signatures["generate"](labels=labels, noise=noise[:4])
    np.testing.assert_allclose(generated["images"].numpy(),
                               (trainer.sample(labels, noise=noise[:4]).numpy() + 1) / 2,
                               atol=1e-5)
    metadata = savedmodels.read_metadata(path)
    assert metadata["image_conditioned"] and "transform" in metadata["signatures"]


def test_loaded_transform_checks_its_inputs(exported):
    _, path = exported
    loaded = savedmodels.load(path)
    assert loaded.image_conditioned
    images = np.full((3, *IMAGE_SHAPE), 0.5, np.float32)
    np.testing.assert_array_equal(loaded.transform(images, seed=1),
                                  loaded.transform(images, seed=1))
    assert loaded.transform(images).shape == (3, *IMAGE_SHAPE)
    with pytest.raises(ValueError, match=r"images must have shape \(N, 8, 8, 1\)"):
        loaded.transform(np.zeros((3, 16, 16, 1), np.float32))
    with pytest.raises(ValueError, match=r"noise must have shape \(len\(images\), noise_dim\)"):
        loaded.transform(images, noise=np.zeros((2, TINY["noise_dim"]), np.float32))


def test_a_label_conditioned_export_has_no_transform(tmp_path):
    from tfgenaug.trainers import WGANGP

    path = savedmodels.export(WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY), str(tmp_path))
    loaded = savedmodels.load(path)
    assert not loaded.image_conditioned and not loaded.metadata["image_conditioned"]
    with pytest.raises(ValueError, match="label-conditioned generator: it has no transform"):
        loaded.transform(np.zeros((1, *IMAGE_SHAPE), np.float32))


def test_a_dagan_without_sources_is_refused_naming_set_sources(tmp_path):
    with pytest.raises(ValueError, match="set_sources"):
        savedmodels.export(DAGAN(IMAGE_SHAPE, NUM_CLASSES, **TINY), str(tmp_path))
    assert not list(tmp_path.iterdir())
