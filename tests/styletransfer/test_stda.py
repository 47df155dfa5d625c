"""Tests of `tfgenaug.styletransfer.stda`: stylise, stda_dataset, stda_training_set."""

import numpy as np
import pytest

from tests.styletransfer.tiny_networks import IMAGE_SHAPE
from tests.styletransfer.tiny_networks import constant_teacher
from tests.styletransfer.tiny_networks import tiny_encoder_decoder
from tests.styletransfer.tiny_networks import tiny_images
from tfgenaug.styletransfer import stda_dataset
from tfgenaug.styletransfer import stda_training_set
from tfgenaug.styletransfer import stylise


def test_stylise_keeps_shape_and_range_and_alpha_zero_reconstructs():
    encoder, decoder = tiny_encoder_decoder()
    content, _ = tiny_images(4)
    out = stylise(content, content[:1], encoder, decoder)
    assert out.shape == content.shape and out.min() >= -1 and out.max() <= 1
    reconstructed = np.clip(decoder(encoder(content)).numpy(), -1, 1)
    np.testing.assert_allclose(stylise(content, content[::-1], encoder, decoder, alpha=0.0),
                               reconstructed, atol=1e-5)
    with pytest.raises(ValueError, match="style must be images of the content's shape"):
        stylise(content, content[:, :4], encoder, decoder)


def test_training_set_counts_kept_and_dropped():
    encoder, decoder = tiny_encoder_decoder()
    images, labels = tiny_images(6)
    x, y, dropped = stda_training_set(
        images, labels, encoder=encoder, decoder=decoder, teacher=constant_teacher(2),
        num_per_image=3, threshold=0.9, seed=0,
    )
    assert x.shape == (18, *IMAGE_SHAPE) and dropped == 0
    assert set(y.tolist()) == {2}
    # The same seed gives the same set.
    again, _, _ = stda_training_set(
        images, labels, encoder=encoder, decoder=decoder, teacher=constant_teacher(2),
        num_per_image=3, threshold=0.9, seed=0,
    )
    np.testing.assert_array_equal(x, again)
    # A teacher that is never confident enough keeps nothing.
    x, y, dropped = stda_training_set(
        images, labels, encoder=encoder, decoder=decoder, teacher=constant_teacher(2, 0.0),
        num_per_image=2, threshold=0.9, seed=0,
    )
    assert len(x) == len(y) == 0 and dropped == 12


def test_styles_come_from_other_classes():
    # Content class 0 has only class-1 style images to draw from; with one such image
    # every stylised image equals stylise(content, that image).
    encoder, decoder = tiny_encoder_decoder()
    images, _ = tiny_images(3)
    labels = np.array([0, 0, 1])
    teacher = constant_teacher(0)
    x, _, _ = stda_dataset(
        images[:2], images, encoder=encoder, decoder=decoder, teacher=teacher, threshold=0.5,
        content_labels=labels[:2], style_labels=labels, other_class_styles=True, seed=1,
    )
    np.testing.assert_allclose(x, stylise(images[:2], images[2:], encoder, decoder), atol=1e-6)


def test_bad_arguments_are_named():
    encoder, decoder = tiny_encoder_decoder()
    images, labels = tiny_images(4)
    kwargs = {"encoder": encoder, "decoder": decoder, "teacher": constant_teacher()}
    with pytest.raises(ValueError, match=r"threshold must be a number in \(0, 1\]"):
        stda_training_set(images, labels, num_per_image=1, threshold=0, seed=0, **kwargs)
    with pytest.raises(ValueError, match="num_per_image"):
        stda_training_set(images, labels, num_per_image=0, threshold=0.5, seed=0, **kwargs)
    with pytest.raises(ValueError, match="style_labels: no style image of a class other"):
        stda_training_set(images, np.zeros(4, int), num_per_image=1, threshold=0.5, seed=0,
                          **kwargs)
    with pytest.raises(ValueError, match="style_images must be a non-empty batch"):
        stda_dataset(images, images[:, :4], threshold=0.5, **kwargs)


def test_images_outside_the_encoders_range_or_not_finite_are_named():
    # 0..255 pixels were stylised into clipped noise without a word.
    encoder, decoder = tiny_encoder_decoder()
    images, _ = tiny_images(4)
    pixels = (images + 1) * 127.5
    with pytest.raises(ValueError, match=r"stylise: content: images must lie in \[-1, 1\].*"
                                         r"to_model_range"):
        stylise(pixels, images, encoder, decoder)
    with pytest.raises(ValueError, match="stylise: style: images must be finite"):
        stylise(images, np.full_like(images, np.nan), encoder, decoder)
    kwargs = {"encoder": encoder, "decoder": decoder, "teacher": constant_teacher()}
    with pytest.raises(ValueError, match=r"stda_dataset: style_images: images must lie in"):
        stda_dataset(images, pixels, threshold=0.5, **kwargs)
    with pytest.raises(ValueError, match="stda_dataset: content_images: images must be "
                                         "numbers"):
        stda_dataset(images.astype(str), images, threshold=0.5, **kwargs)
