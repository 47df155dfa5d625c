"""`SourceBank` / `label_conditioned`: a label picks a real image of its class by its noise."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.networks import SourceBank
from tfgenaug.networks import dagan_generator
from tfgenaug.networks import label_conditioned

IMAGE_SHAPE = (8, 8, 1)


def filled_bank(num_classes=3, per_class=(2, 5, 1)):
    labels = np.repeat(np.arange(num_classes), per_class).astype("int32")
    # Image i is filled with i / 10, so a source names itself.
    images = (np.arange(len(labels), dtype="float32")[:, None, None, None] / 10
              * np.ones((1, *IMAGE_SHAPE), "float32"))
    bank = SourceBank(len(labels), IMAGE_SHAPE, num_classes)
    shuffled = np.random.default_rng(0).permutation(len(labels))
    bank.set_sources(images[shuffled], labels[shuffled])
    return bank, images, labels


def test_each_row_gets_an_image_of_its_label_picked_by_its_noise():
    bank, images, labels = filled_bank()
    wanted = np.array([0, 1, 2] * 100, np.int32)
    noise = tf.random.normal((len(wanted), 6), seed=0)
    picked = bank([noise, wanted]).numpy()
    ids = np.rint(picked[:, 0, 0, 0] * 10).astype(int)
    np.testing.assert_array_equal(labels[ids], wanted)
    for k, count in enumerate((2, 5, 1)):  # every image of a class gets picked
        assert len(set(ids[wanted == k])) == count
    np.testing.assert_array_equal(bank([noise, wanted]).numpy(), picked)  # same noise
    assert not np.array_equal(bank([noise + 1.0, wanted]).numpy(), picked)


def test_label_conditioned_model_saves_and_loads_with_its_sources(tmp_path):
    bank, _, _ = filled_bank()
    generator = dagan_generator(IMAGE_SHAPE, noise_dim=6, width=4)
    model = label_conditioned(generator, bank)
    noise = tf.random.normal((4, 6), seed=1)
    labels = tf.constant([0, 1, 2, 1])
    path = str(tmp_path / "sampler.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded([noise, labels]).numpy(), model([noise, labels]).numpy(),
                               atol=1e-6)


@pytest.mark.parametrize("images,labels,match", [
    (np.zeros((3, 8, 8, 1)), [0, 1, 2], r"images must have shape \(8, 8, 8, 1\)"),
    (np.zeros((8, 8, 8, 1)), [0] * 7, "labels must be 8 int class ids"),
    (np.zeros((8, 8, 8, 1)), [0, 1, 2, 3, 0, 1, 2, 0], r"class ids in \[0, 3\)"),
    (np.zeros((8, 8, 8, 1)), [0, 1] * 4, r"classes \[2\] have none"),
])
def test_bad_sources_name_the_argument(images, labels, match):
    with pytest.raises(ValueError, match=match):
        SourceBank(8, IMAGE_SHAPE, 3).set_sources(images, np.asarray(labels))
