"""The `truncated(labels, truncation)` signature and the loader's `truncation` argument."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tests.trainers.conftest import IMAGE_SHAPE
from tests.trainers.conftest import NUM_CLASSES
from tests.trainers.conftest import TINY
from tfgenaug import savedmodels
from tfgenaug.trainers import WGANGP

LABELS = tf.constant([0, 1, 2, 1], tf.int32)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY)
    return trainer, savedmodels.export(trainer, str(tmp_path_factory.mktemp("exports")))


def test_truncated_signature_with_plain_tensorflow(exported):
    trainer, path = exported
    loaded = tf.saved_model.load(path)
    truncated = loaded.signatures["truncated"]
    # A tiny bound leaves only the noise's centre: the images of zero noise.
    tight = truncated(labels=LABELS, truncation=tf.constant(1e-4))
    zeros = loaded.signatures["generate"](labels=LABELS, noise=tf.zeros([4, TINY["noise_dim"]]))
    np.testing.assert_allclose(tight["images"], zeros["images"], atol=1e-3)
    np.testing.assert_array_equal(tight["labels"], LABELS)
    loose = truncated(labels=LABELS, truncation=tf.constant(3.0))["images"].numpy()
    assert loose.shape == (4, *IMAGE_SHAPE) and not np.allclose(loose, zeros["images"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="truncation must be a number > 0"):
        truncated(labels=LABELS, truncation=tf.constant(0.0))
    with open(loaded.metadata_file.asset_path.numpy().decode()) as f:
        metadata = json.load(f)
    assert metadata["signatures"]["truncated"]["inputs"]["truncation"] == "float32 [] > 0"


def test_loader_truncates_seeded_and_drawn_noise(exported):
    trainer, path = exported
    generator = savedmodels.load(path)
    noise = generator.noise(4, seed=3, truncation=0.5)
    assert np.abs(noise.numpy()).max() <= 0.5 + 1e-6
    np.testing.assert_array_equal(generator(LABELS, seed=3, truncation=0.5),
                                  generator(LABELS, noise=noise))
    assert generator(LABELS, truncation=0.5).shape == (4, *IMAGE_SHAPE)
    with pytest.raises(ValueError, match="pass truncation or noise, not both"):
        generator(LABELS, noise=noise, truncation=0.5)
    with pytest.raises(ValueError, match="truncation must be None or a number > 0"):
        generator(LABELS, seed=0, truncation=-1)
    generator.signatures = {k: v for k, v in generator.signatures.items() if k != "truncated"}
    with pytest.raises(ValueError, match="lacks .*pass a seed, or re-export"):
        generator(LABELS, truncation=0.5)


def test_uniform_noise_exports_have_no_truncated_signature(tmp_path):
    trainer = WGANGP(IMAGE_SHAPE, NUM_CLASSES, **TINY, noise_distribution="uniform")
    generator = savedmodels.load(savedmodels.export(trainer, str(tmp_path)))
    assert "truncated" not in generator.signatures
    with pytest.raises(ValueError, match="truncation applies to normal noise"):
        generator(LABELS, seed=0, truncation=0.5)
