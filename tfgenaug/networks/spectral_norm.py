"""Spectral normalization (Miyato et al. 2018) whose forward pass assigns nothing.

`keras.layers.SpectralNormalization` runs its power iteration and assigns the kernel and
the singular-vector estimate `u` inside `call` when training. A WGAN-GP step calls the
critic three times (real, fake, interpolates) and differentiates through it twice, and
under `tf.distribute` each replica would assign a mirrored variable on its own: those
assignments race, and their order decides the result. Here the forward pass is pure:
`call` divides the kernel by `sigma = v^T W u` computed from the stored `u` with
`power_iterations` fresh steps (gradients do not flow through `u` and `v`, as in the
paper), and the stored `u` moves on only in `update_estimate()`, which
`SpectralNormUpdate` calls once per step, outside the compiled step, in cross-replica
context. A trainer's `fit` adds that callback by itself (see `with_estimate_updates`).
"""

import keras
from keras import ops

from tfgenaug.networks import weight_norm


@keras.saving.register_keras_serializable(package="tfgenaug")
class SpectralNormalization(keras.layers.Wrapper):
    """Divides a layer's kernel by an estimate of its largest singular value.

    The kernel is viewed as a matrix `W` of shape `(everything else, output channels)`;
    `sigma` comes from power iteration on `W` started at the stored estimate `u`.

    References:
        - Miyato et al., [Spectral Normalization for Generative Adversarial
          Networks](https://arxiv.org/abs/1802.05957).

    Args:
        layer: a `Dense`, `Conv1D/2D/3D` or `Conv2DTranspose/Conv3DTranspose` layer.
        power_iterations: int >= 1. Power-iteration steps per call, from the stored
            `u`. Defaults to 1 (the paper's, with `u` carried across steps).
        epsilon: float. Added to norms before dividing. Defaults to 1e-12.
        **kwargs: passed to `keras.layers.Wrapper`.

    Raises:
        ValueError: naming `layer` if it has no kernel, or `power_iterations`.

    Example:
    ```python
    conv = SpectralNormalization(keras.layers.Conv2D(64, 4, strides=2, padding="same"))
    outputs = conv(np.zeros((2, 16, 16, 3), "float32"))
    conv.update_estimate()  # once per train step (SpectralNormUpdate does it in fit)
    ```
    """

    def __init__(self, layer, power_iterations: int = 1, epsilon: float = 1e-12, **kwargs):
        weight_norm.check_wrappable(layer)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or (
            power_iterations < 1
        ):
            raise ValueError(f"power_iterations must be an int >= 1; got {power_iterations!r}")
        super().__init__(layer, **kwargs)
        self.power_iterations = power_iterations
        self.epsilon = float(epsilon)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = self.layer.kernel
        self._axis = len(kernel.shape) + weight_norm.output_axis(self.layer)
        self.u = self.add_weight(
            shape=(1, kernel.shape[self._axis]), initializer=keras.initializers.RandomNormal(),
            trainable=False, name="u",
        )
        self.built = True

    def _matrix(self, kernel):
        """The kernel as `(inputs, outputs)`, the output-channel axis last."""
        kernel = ops.moveaxis(kernel, self._axis, -1)
        return ops.reshape(kernel, (-1, kernel.shape[-1]))

    def _normalize(self, x):
        return x / (ops.sqrt(ops.sum(ops.square(x))) + self.epsilon)

    def _estimate(self, matrix):
        """`(u, v)` after `power_iterations` steps from the stored `u`, gradient-free."""
        matrix = ops.stop_gradient(matrix)
        u = ops.cast(self.u, matrix.dtype)
        for _ in range(self.power_iterations):
            v = self._normalize(ops.matmul(u, ops.transpose(matrix)))
            u = self._normalize(ops.matmul(v, matrix))
        return u, v

    def sigma(self):
        """The estimate of the kernel's largest singular value this call divides by."""
        matrix = self._matrix(ops.cast(self.layer.kernel, "float32"))
        u, v = self._estimate(matrix)
        return ops.sum(ops.matmul(v, matrix) * u)

    def normalized_kernel(self):
        """The kernel the layer computes with: `kernel / sigma`."""
        kernel = self.layer.kernel
        return kernel / ops.cast(self.sigma(), kernel.dtype)

    def update_estimate(self) -> None:
        """Moves the stored `u` to this step's estimate (call once per train step)."""
        u, _ = self._estimate(self._matrix(ops.cast(self.layer.kernel, "float32")))
        self.u.assign(ops.cast(u, self.u.dtype))

    def call(self, inputs):
        return weight_norm.call_with_kernel(self, inputs, self.normalized_kernel())

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations,
                "epsilon": self.epsilon}


def spectral_layers(models) -> list[SpectralNormalization]:
    """Every `SpectralNormalization` layer of `models`, nested models included."""
    found = []
    for model in models:
        for layer in model._flatten_layers(include_self=False):
            if isinstance(layer, SpectralNormalization):
                found.append(layer)
    return found


class SpectralNormUpdate(keras.callbacks.Callback):
    """Moves every spectral-norm estimate of `models` on after each train step.

    Runs in eager, cross-replica context after the (compiled) step, so the estimates
    of mirrored layers move once and identically on every replica. With
    `steps_per_execution = k` they move once per k steps.

    Args:
        models: the networks holding `SpectralNormalization` layers.
    """

    def __init__(self, models):
        super().__init__()
        self.spectral = spectral_layers(models)

    def on_train_batch_end(self, batch, logs=None):
        for layer in self.spectral:
            layer.update_estimate()


def with_estimate_updates(models, callbacks):
    """`callbacks` plus a `SpectralNormUpdate` when `models` hold spectral-norm layers."""
    callbacks = list(callbacks or [])
    if spectral_layers(models) and not any(
        isinstance(c, SpectralNormUpdate) for c in callbacks
    ):
        callbacks.append(SpectralNormUpdate(models))
    return callbacks
