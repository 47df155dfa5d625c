"""What each efficacy condition puts in a classifier's training batches."""

import keras
import numpy as np
import pytest

from tfgenaug.evaluation import batches
from tfgenaug.evaluation import catalog

IMAGE_SHAPE = (8, 8, 1)


def toy_data(counts, seed=0):
    """Images whose pixels are all `label / 10 - 0.5` plus a little noise."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    images = (labels[:, None, None, None] / 10.0 - 0.5
              + 0.01 * rng.standard_normal((len(labels), *IMAGE_SHAPE))).astype(np.float32)
    return images, labels


def constant_generator(num_classes, value=0.9):
    """A generator model whose every image is `value` (in [-1, 1])."""
    noise = keras.Input((4,))
    labels = keras.Input((), dtype="int32")
    constant = keras.layers.Dense(8 * 8, kernel_initializer="zeros",
                                  bias_initializer=keras.initializers.Constant(value))(noise)
    zeros = keras.layers.Embedding(num_classes, 8 * 8, embeddings_initializer="zeros")(labels)
    images = keras.layers.Reshape(IMAGE_SHAPE)(keras.layers.Add()([constant, zeros]))
    return keras.Model([noise, labels], images)


def test_oversampling_keeps_every_image_and_balances_the_classes():
    images, labels = toy_data([20, 3, 7])
    out_images, out_labels = batches.resample(images, labels, "oversample", seed=1)
    np.testing.assert_array_equal(np.bincount(out_labels), [20, 20, 20])
    # Every original image is present at least once, and nothing new is made.
    originals = {img.tobytes() for img in images}
    produced = {img.tobytes() for img in out_images}
    assert produced == originals
    for image, label in zip(out_images, out_labels, strict=True):
        assert abs(image.mean() - (label / 10 - 0.5)) < 0.05


def test_smote_fills_the_rare_class_with_same_class_interpolations():
    images, labels = toy_data([30, 4])
    out_images, out_labels = batches.resample(images, labels, "smote", seed=0)
    np.testing.assert_array_equal(np.bincount(out_labels), [30, 30])
    rare = images[labels == 1]
    synthetic = out_images[out_labels == 1]
    originals = {img.tobytes() for img in rare}
    new = [img for img in synthetic if img.tobytes() not in originals]
    assert len(new) == 26
    # Interpolations between class-1 images stay inside their per-pixel bounding box.
    low, high = rare.min(axis=0), rare.max(axis=0)
    for image in new:
        assert np.all(image >= low - 1e-6) and np.all(image <= high + 1e-6)


def test_smote_refuses_a_class_of_one_image():
    images, labels = toy_data([10, 1])
    with pytest.raises(ValueError, match="smote.*at least 2 images.*smallest class has 1"):
        batches.resample(images, labels, "smote")


def test_resample_rejects_other_conditions():
    images, labels = toy_data([2, 2])
    with pytest.raises(ValueError, match=r"condition must be one of \['oversample', 'smote'\]"):
        batches.resample(images, labels, "plain")


def test_classic_augmentation_moves_pixels_but_keeps_shape_and_range():
    images, _ = toy_data([4, 4])
    images[:, 2:6, 3:5, :] = 1.0  # a bar to move
    augment = batches.classic_augmentation(seed=3)
    out = np.asarray(augment(images, training=True))
    assert out.shape == images.shape
    assert out.min() >= -1.0 - 1e-5 and out.max() <= 1.0 + 1e-5
    assert np.abs(out - images).max() > 0.1


def test_plain_batches_are_the_real_images_and_labels():
    images, labels = toy_data([5, 5, 5])
    ds = batches.training_batches(images, labels, "plain", batch_size=6, seed=0,
                                     num_classes=3)
    batch_images, batch_labels = next(iter(ds))
    assert batch_images.shape == (6, *IMAGE_SHAPE)
    originals = {img.tobytes() for img in images}
    assert all(np.asarray(img).tobytes() in originals for img in batch_images)
    for image, label in zip(batch_images.numpy(), batch_labels.numpy(), strict=True):
        assert abs(image.mean() - (label / 10 - 0.5)) < 0.05


def test_gan_condition_replaces_half_of_each_batch_with_generated_rows():
    images, labels = toy_data([5, 5, 5])
    ds = batches.training_batches(images, labels, "wgan_gp", batch_size=8, seed=0,
                                     num_classes=3, generator=constant_generator(3))
    for batch_images, _ in ds.take(3):
        generated = np.isclose(batch_images.numpy().reshape(8, -1), 0.9).all(axis=1)
        assert generated.sum() == 4


def test_gan_condition_on_imbalanced_data_generates_mostly_the_rare_class():
    images, labels = toy_data([40, 40, 2])
    ds = batches.training_batches(images, labels, "dcgan", batch_size=16, seed=0,
                                     num_classes=3, generator=constant_generator(3))
    generated_labels = []
    for batch_images, batch_labels in ds.take(20):
        generated = np.isclose(batch_images.numpy().reshape(16, -1), 0.9).all(axis=1)
        generated_labels.extend(batch_labels.numpy()[generated])
    share_rare = np.mean(np.asarray(generated_labels) == 2)
    assert share_rare > 0.8  # probabilities ∝ 1/count: 20/21 for the rare class


def noise_generator(num_classes, scale=0.25):
    """A generator model whose first 4 pixels are `scale` times its 4 noise values."""
    noise = keras.Input((4,))
    labels = keras.Input((), dtype="int32")
    kernel = np.zeros((4, 8 * 8), np.float32)
    kernel[np.arange(4), np.arange(4)] = scale
    pixels = keras.layers.Dense(8 * 8, use_bias=False,
                                kernel_initializer=keras.initializers.Constant(kernel))(noise)
    zeros = keras.layers.Embedding(num_classes, 8 * 8, embeddings_initializer="zeros")(labels)
    images = keras.layers.Reshape(IMAGE_SHAPE)(keras.layers.Add()([pixels, zeros]))
    return keras.Model([noise, labels], images)


def largest_generated_noise(condition, scale=0.25):
    """The largest |noise| behind the generated rows of 20 batches of `condition`."""
    images, labels = toy_data([20, 20, 20])
    ds = batches.training_batches(images, labels, condition, batch_size=16, seed=0,
                                  num_classes=3, generator=noise_generator(3, scale))
    largest = 0.0
    for batch_images, _ in ds.take(20):
        flat = batch_images.numpy().reshape(16, -1)
        generated = np.isclose(flat[:, 4:], 0.0).all(axis=1)  # real rows are near ±0.4
        largest = max(largest, np.abs(flat[generated, :4]).max() / scale)
    return largest


def test_truncated_gan_condition_draws_noise_within_its_truncation():
    assert largest_generated_noise("wgan_gp_truncated") <= catalog.TRUNCATION + 1e-5
    assert largest_generated_noise("wgan_gp") > catalog.TRUNCATION  # 640 normal draws


def test_quality_gan_condition_reads_the_generators_judged_quality():
    images, labels = toy_data([40, 40, 2])
    with pytest.raises(ValueError, match="class_quality='label_agreement' reads the "
                       "generator's export metadata"):
        batches.training_batches(images, labels, "wgan_gp_quality", batch_size=16, seed=0,
                                 num_classes=3, generator=constant_generator(3))


def test_gan_condition_without_generator_is_an_error():
    images, labels = toy_data([2, 2])
    with pytest.raises(ValueError, match="condition='wgan_gp' needs a generator"):
        batches.training_batches(images, labels, "wgan_gp", batch_size=2, seed=0,
                                    num_classes=2)


def test_same_class_mix_batches_mix_only_images_of_one_class():
    images, labels = toy_data([6, 6, 6])
    ds = batches.training_batches(images, labels, "same_class_mix", batch_size=12, seed=0,
                                     num_classes=3)
    for batch_images, batch_labels in ds.take(3):
        for image, label in zip(batch_images.numpy(), batch_labels.numpy(), strict=True):
            # A mix of two images of class k stays near class k's value, -0.5 + k/10.
            assert abs(image.mean() - (label / 10 - 0.5)) < 0.05


def test_adversarial_and_self_training_conditions_feed_plain_batches():
    images, labels = toy_data([5, 5])
    for condition in ("fgsm", "pgd", "self_training"):
        ds = batches.training_batches(images, labels, condition, batch_size=4, seed=0,
                                         num_classes=2)
        batch_images, _ = next(iter(ds))
        originals = {img.tobytes() for img in images}
        assert all(np.asarray(img).tobytes() in originals for img in batch_images)
