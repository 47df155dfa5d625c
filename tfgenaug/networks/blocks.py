"""Small building blocks Keras 3 lacks."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfgenaug")
class OneHot(keras.layers.Layer):
    """One-hot encodes int class ids inside a model (XLA-friendly, serialisable).

    Args:
        num_classes: int. Depth K of the encoding.

    Call arguments:
        inputs: int tensor `(N,)` of class ids.

    Returns:
        float tensor `(N, K)`.

    Example:
    ```python
    OneHot(3)(np.array([0, 2]))  # [[1, 0, 0], [0, 0, 1]]
    ```
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def call(self, inputs):
        return ops.one_hot(ops.cast(inputs, "int32"), self.num_classes, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
