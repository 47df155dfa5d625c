import numpy as np
import pytest

from tfgenaug.networks import lenet5
from tfgenaug.networks import small_cnn


@pytest.mark.parametrize("builder", [small_cnn, lenet5])
@pytest.mark.parametrize("shape", [(8, 8, 1), (16, 16, 1), (32, 32, 3)])
def test_logits_shape(builder, shape):
    model = builder(shape, num_classes=7)
    assert tuple(model(np.zeros((2, *shape), "float32")).shape) == (2, 7)


def test_lenet5_is_the_classic_on_32px():
    model = lenet5((32, 32, 1), num_classes=10)
    assert model.get_layer("conv1").output.shape[1:] == (28, 28, 6)
    assert model.get_layer("conv2").output.shape[1:] == (10, 10, 16)
    assert model.count_params() == 61706


def test_bad_shape():
    with pytest.raises(ValueError, match="input_shape must be"):
        small_cnn((16, 16), num_classes=3)
    with pytest.raises(ValueError, match="at least 8x8"):
        lenet5((4, 4, 1), num_classes=3)
