import keras
import numpy as np
import pytest

from tfgenaug.networks import conditional_generator


@pytest.mark.parametrize("size,channels", [(8, 1), (16, 1), (32, 3), (64, 3)])
def test_output_shape_and_range(size, channels):
    generator = conditional_generator((size, size, channels), num_classes=5, noise_dim=8, width=4)
    images = generator([np.random.randn(3, 8).astype("float32"), np.array([0, 2, 4])])
    assert tuple(images.shape) == (3, size, size, channels)
    assert np.all(np.abs(np.asarray(images)) <= 1.0)


def test_label_changes_output():
    generator = conditional_generator((8, 8, 1), num_classes=3, noise_dim=4, width=4)
    noise = np.zeros((2, 4), "float32")
    images = np.asarray(generator([noise, np.array([0, 2])]))
    assert not np.allclose(images[0], images[1])


def test_serialises():
    generator = conditional_generator((8, 8, 1), num_classes=3, noise_dim=4, width=4)
    clone = keras.Model.from_config(generator.get_config())
    assert clone.output_shape == generator.output_shape


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"image_shape": (7, 12, 1)}, r"image_shape must have height and width >= 8; got "
                                      r"\(7, 12, 1\)"),
        ({"image_shape": (16, 4, 1)}, "image_shape must have height and width >= 8"),
        ({"image_shape": (16, 16, 2)}, "1 or 3 channels"),
        ({"image_shape": (16, 16)}, r"image_shape must be \(height, width, channels\)"),
        ({"num_classes": 0}, "num_classes must be a positive integer"),
        ({"normalization": "group"}, "normalization must be one of"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"image_shape": (16, 16, 1), "num_classes": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        conditional_generator(**args)
