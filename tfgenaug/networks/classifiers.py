"""Small image classifiers: the models that generated data is meant to help."""

from collections.abc import Sequence

import keras
from keras import layers

from tfgenaug.validation import check_positive_int


def _check_input_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (height, width, channels); got {input_shape}")
    return shape


def small_cnn(
    input_shape: Sequence[int],
    num_classes: int,
    width: int = 32,
    dropout: float = 0.25,
    name: str = "small_cnn",
) -> keras.Model:
    """Builds a small VGG-style CNN classifier that returns logits.

    Two blocks of two 3x3 convolutions (with batch normalization and ReLU) and a
    2x2 max-pool, global average pooling, dropout and a dense layer.

    Args:
        input_shape: `(height, width, channels)` of the images, in [-1, 1].
        num_classes: int. Number of classes K.
        width: int. Filters of the first block; the second has twice as many.
            Defaults to 32.
        dropout: float. Dropout before the last layer. Defaults to 0.25.
        name: str. Model name. Defaults to `"small_cnn"`.

    Returns:
        A `keras.Model` mapping images `(N, H, W, C)` to logits `(N, K)`.

    Example:
    ```python
    model = small_cnn((16, 16, 1), num_classes=10)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```
    """
    shape = _check_input_shape(input_shape)
    check_positive_int(num_classes, "num_classes")
    check_positive_int(width, "width")
    inputs = keras.Input(shape, name="images")
    x = inputs
    for block, filters in enumerate((width, 2 * width)):
        for conv in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                              name=f"block{block}_conv{conv}")(x)
            x = layers.BatchNormalization(name=f"block{block}_bn{conv}")(x)
            x = layers.ReLU(name=f"block{block}_relu{conv}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name=name)


def lenet5(input_shape: Sequence[int], num_classes: int, name: str = "lenet5") -> keras.Model:
    """Builds LeNet-5 (LeCun et al. 1998) with ReLU and max-pooling, returning logits.

    conv 6@5x5 → pool → conv 16@5x5 → pool → dense 120 → dense 84 → dense K. Inputs
    smaller than 32x32 use `same` padding in the first convolution so the maps stay
    large enough.

    Args:
        input_shape: `(height, width, channels)`, at least 8x8.
        num_classes: int. Number of classes K.
        name: str. Model name. Defaults to `"lenet5"`.

    Returns:
        A `keras.Model` mapping images to logits `(N, K)`.

    Example:
    ```python
    model = lenet5((32, 32, 1), num_classes=10)
    ```
    """
    shape = _check_input_shape(input_shape)
    check_positive_int(num_classes, "num_classes")
    if min(shape[:2]) < 8:
        raise ValueError(f"input_shape must be at least 8x8 for LeNet-5; got {shape}")
    inputs = keras.Input(shape, name="images")
    first_padding = "valid" if min(shape[:2]) >= 32 else "same"
    x = layers.Conv2D(6, 5, padding=first_padding, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    second_padding = "valid" if min(x.shape[1:3]) >= 10 else "same"
    x = layers.Conv2D(16, 5, padding=second_padding, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="relu", name="fc1")(x)
    x = layers.Dense(84, activation="relu", name="fc2")(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, logits, name=name)
