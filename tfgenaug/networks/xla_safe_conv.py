"""`Conv2D` and `Conv2DTranspose` that XLA:CPU keeps fast when the kernel exceeds the map.

XLA's algebraic simplifier swaps a convolution's operands (input and kernel) when the
kernel window covers more pixels than the map it slides over (`kh * kw > h * w`, the
`ConvOperandSwapper` rule). The swapped convolution has a reversed, dilated window
(`rhs_reversal` in the optimized HLO) that XLA:CPU cannot hand to its Eigen kernels, so
it emits it as a naive loop. Small maps under large kernels hit this:

- a `Conv2D` in its input gradient (a convolution over the output map) when
  `kh * kw > out_h * out_w`, and also in its forward pass when `kh * kw > h * w`;
- a `Conv2DTranspose` in its forward pass (a convolution over the input map) when
  `kh * kw > h * w`.

Measured on 2 CPU cores at batch 64 (`benchmarks/results/xla_profile.md`, made by
`python -m benchmarks.xla_profile`): the first 5x5 stride-2 transposed convolution of
DADA's generator on its 4x4 map (32-px images) took 2650 ms forward and backward under
XLA against 108 ms without (0.04x); DADA's stage-1 train step ran at 0.24x of its
non-XLA speed and DFG's (5x5 stride-2 critic convolutions on 7x7 and 4x4 maps) at 0.36x.
Computed as matmuls in those layers, both steps ran at 0.77x.

`XlaSafeConv2D` and `XlaSafeConv2DTranspose` are the Keras layers with the same weights,
configuration and maths. They differ only while traced for XLA (`jit_compile=True`)
with a window larger than the map: then the convolution is computed as matmuls
(`conv2d_as_matmul`, `conv2d_transpose_as_matmul`), whose gradients are slices, pads
and matmuls that XLA:CPU runs well at any size. Elsewhere (eagerly, in a plain
`tf.function`, in a SavedModel's traced functions) they are the native convolution.
"""

from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import ops
from tensorflow.python.framework import ops as tf_ops
from tensorflow.python.ops import control_flow_util


def tracing_for_xla() -> bool:
    """Whether the function being traced will be compiled by XLA.

    True inside a `tf.function(jit_compile=True)` (and any function it calls), such as
    a Keras train step compiled with `jit_compile=True`; false eagerly and in plain
    graphs.

    Returns:
        bool.
    """
    if tf.executing_eagerly():
        return False
    return control_flow_util.GraphOrParentsInXlaContext(tf_ops.get_default_graph())


def window_exceeds_map(kernel_size: Sequence[int], map_size: Sequence[int | None]) -> bool:
    """Whether a `kernel_size` window covers more pixels than a `map_size` map.

    This is XLA's condition for swapping the operands of a convolution over that map.

    Args:
        kernel_size: `(kh, kw)`.
        map_size: `(h, w)`; `None` sides (unknown) never exceed.

    Returns:
        bool.

    Example:
    ```python
    window_exceeds_map((5, 5), (4, 4))  # True: 25 > 16
    ```
    """
    if None in tuple(map_size):
        return False
    return kernel_size[0] * kernel_size[1] > map_size[0] * map_size[1]


def conv2d_as_matmul(x, kernel, strides: Sequence[int], padding: str) -> tf.Tensor:
    """`tf.nn.conv2d(x, kernel, strides, padding)` as im2col and one matmul.

    The `kh * kw` shifted strided slices of the (padded) input are concatenated along
    the channels and multiplied by the flattened kernel; the gradients are slices, pads
    and matmuls. Dilation 1, channels last.

    Args:
        x: `(N, H, W, C_in)` with static `H`, `W`, `C_in`.
        kernel: `(kh, kw, C_in, C_out)`.
        strides: `(sh, sw)`.
        padding: `"same"` or `"valid"` (any case).

    Returns:
        `(N, out_h, out_w, C_out)`, what `tf.nn.conv2d` returns.

    Example:
    ```python
    y = conv2d_as_matmul(tf.ones((2, 4, 4, 3)), tf.ones((5, 5, 3, 8)), (2, 2), "same")
    ```
    """
    _, h, w, c_in = x.shape
    kh, kw, _, c_out = kernel.shape
    sh, sw = strides
    if padding.lower() == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        x = tf.pad(x, [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]])
    else:
        oh, ow = -(-(h - kh + 1) // sh), -(-(w - kw + 1) // sw)
    columns = [x[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]
               for i in range(kh) for j in range(kw)]
    patches = tf.concat(columns, axis=-1)
    return tf.tensordot(patches, tf.reshape(kernel, [kh * kw * c_in, c_out]), 1)


def _shifted(x, axis: int, offset: int, size: int):
    """`y[q] = x[q + offset]` along `axis` for `q` in `[0, size)`, zero outside `x`."""
    n = x.shape[axis]
    start, stop = max(0, offset), min(n, size + offset)
    begin, extent = [0] * 4, [-1] * 4
    begin[axis], extent[axis] = start, max(0, stop - start)
    paddings = [[0, 0]] * 4
    paddings[axis] = [max(0, -offset), max(0, size + offset - n)]
    return tf.pad(tf.slice(x, begin, extent), paddings)


def conv2d_transpose_as_matmul(
    x, kernel, strides: Sequence[int], padding: str, output_size: Sequence[int]
) -> tf.Tensor:
    """`tf.nn.conv2d_transpose(x, kernel)` as one matmul and shifted sums.

    Output pixel `o = s * i + t - pad` sums `x[i] * kernel[t]`. One matmul gives every
    input pixel times the whole kernel; for each output phase `o mod s` the taps of that
    phase are shifted and summed, and the phases are interleaved. Dilation 1, channels
    last.

    Args:
        x: `(N, H, W, C_in)` with static `H`, `W`, `C_in`.
        kernel: `(kh, kw, C_out, C_in)`, the layout of `Conv2DTranspose.kernel`.
        strides: `(sh, sw)`.
        padding: `"same"` or `"valid"` (any case).
        output_size: `(out_h, out_w)`, as `Conv2DTranspose` computes it.

    Returns:
        `(N, out_h, out_w, C_out)`, what `tf.nn.conv2d_transpose` returns.

    Example:
    ```python
    y = conv2d_transpose_as_matmul(tf.ones((2, 4, 4, 8)), tf.ones((5, 5, 3, 8)),
                                   (2, 2), "same", (8, 8))
    ```
    """
    _, h, w, c_in = x.shape
    kh, kw, c_out, _ = kernel.shape
    sh, sw = strides
    same = padding.lower() == "same"
    pad_h = max((h - 1) * sh + kh - output_size[0], 0) // 2 if same else 0
    pad_w = max((w - 1) * sw + kw - output_size[1], 0) // 2 if same else 0
    qh, qw = -(-output_size[0] // sh), -(-output_size[1] // sw)
    flat = tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [c_in, kh * kw * c_out])
    taps = tf.reshape(tf.tensordot(x, flat, 1), [-1, h, w, kh, kw, c_out])
    rows = []
    for phase_h in range(sh):
        first_h, shift_h = (phase_h + pad_h) % sh, (phase_h + pad_h) // sh
        row = []
        for phase_w in range(sw):
            first_w, shift_w = (phase_w + pad_w) % sw, (phase_w + pad_w) // sw
            total = tf.zeros([tf.shape(x)[0], qh, qw, c_out], x.dtype)
            for m in range(len(range(first_h, kh, sh))):
                for n in range(len(range(first_w, kw, sw))):
                    tap = taps[:, :, :, sh * m + first_h, sw * n + first_w, :]
                    total += _shifted(_shifted(tap, 1, shift_h - m, qh), 2, shift_w - n, qw)
            row.append(total)
        rows.append(tf.stack(row, axis=3))  # (N, qh, qw, sw, C)
    interleaved = tf.reshape(tf.stack(rows, axis=2), [-1, qh * sh, qw * sw, c_out])
    return interleaved[:, : output_size[0], : output_size[1], :]


def _matmul_capable(layer, input_shape) -> bool:
    """Whether the matmul forms compute `layer` on inputs of `input_shape`."""
    return (layer.data_format == "channels_last" and set(layer.dilation_rate) == {1}
            and getattr(layer, "groups", 1) == 1
            and getattr(layer, "output_padding", None) is None
            and None not in tuple(input_shape[1:]))


@keras.saving.register_keras_serializable(package="tfgenaug")
class XlaSafeConv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` that XLA:CPU does not slow down on small output maps.

    Same arguments, weights and outputs as `Conv2D`. Traced for XLA with a kernel window
    larger than the output map (whose input gradient XLA would swap and run as a naive
    loop; see the module docstring), the convolution is computed as im2col and a matmul
    (`conv2d_as_matmul`); otherwise it is `Conv2D`'s.

    Args:
        *args, **kwargs: those of `keras.layers.Conv2D`.

    Example:
    ```python
    conv = XlaSafeConv2D(64, 5, strides=2, padding="same", name="conv1")
    outputs = conv(np.zeros((2, 7, 7, 32), "float32"))  # (2, 4, 4, 64)
    ```
    """

    def rewrite_under_xla(self, input_shape) -> bool:
        """Whether, traced for XLA, inputs of `input_shape` go through the matmul form."""
        output_shape = self.compute_output_shape(tuple(input_shape))
        return (_matmul_capable(self, input_shape)
                and window_exceeds_map(self.kernel_size, output_shape[1:3]))

    def convolution_op(self, inputs, kernel):
        if self.rewrite_under_xla(inputs.shape) and tracing_for_xla():
            return conv2d_as_matmul(inputs, ops.convert_to_tensor(kernel), self.strides,
                                    self.padding)
        return super().convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable(package="tfgenaug")
class XlaSafeConv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` that XLA:CPU does not slow down on small input maps.

    Same arguments, weights and outputs as `Conv2DTranspose`. Traced for XLA with a
    kernel window larger than the input map (a forward pass XLA would swap and run as a
    naive loop; see the module docstring), the transposed convolution is computed as
    matmuls (`conv2d_transpose_as_matmul`); otherwise it is `Conv2DTranspose`'s.
    `transposed_convolution_op(inputs, kernel)` computes it with another kernel (as
    `WeightNormalization` does).

    Args:
        *args, **kwargs: those of `keras.layers.Conv2DTranspose`.

    Example:
    ```python
    deconv = XlaSafeConv2DTranspose(256, 5, strides=2, padding="same", name="deconv0")
    outputs = deconv(np.zeros((2, 4, 4, 512), "float32"))  # (2, 8, 8, 256)
    ```
    """

    def rewrite_under_xla(self, input_shape) -> bool:
        """Whether, traced for XLA, inputs of `input_shape` go through the matmul form."""
        return (_matmul_capable(self, input_shape)
                and window_exceeds_map(self.kernel_size, tuple(input_shape)[1:3]))

    def transposed_convolution_op(self, inputs, kernel):
        """The transposed convolution of `inputs` with `kernel`, without bias or activation.

        Args:
            inputs: a batch of this layer's inputs.
            kernel: `(kh, kw, filters, in_channels)`, e.g. `self.kernel`.

        Returns:
            The layer's outputs before bias and activation.
        """
        if self.rewrite_under_xla(inputs.shape) and tracing_for_xla():
            size = self.compute_output_shape(tuple(inputs.shape))[1:3]
            return conv2d_transpose_as_matmul(inputs, ops.convert_to_tensor(kernel),
                                              self.strides, self.padding, size)
        return ops.conv_transpose(
            inputs, kernel, strides=list(self.strides), padding=self.padding,
            output_padding=self.output_padding, dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )

    def call(self, inputs):
        outputs = self.transposed_convolution_op(inputs, self.kernel)
        if self.use_bias:
            if self.data_format == "channels_last":
                bias_shape = (1,) * (self.rank + 1) + (self.filters,)
            else:
                bias_shape = (1, self.filters) + (1,) * self.rank
            outputs = ops.add(outputs, ops.reshape(self.bias, bias_shape))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


def _nodes(layer) -> list:
    return list(getattr(layer, "_inbound_nodes", []))


def swap_prone(model: keras.Model) -> list[keras.layers.Layer]:
    """The convolutions of `model` whose kernel window exceeds the map XLA convolves over.

    A `Conv2D` whose window covers more pixels than its output map, a `Conv2DTranspose`
    whose window covers more than its input map: as plain Keras layers XLA:CPU swaps
    them and runs them as naive loops (module docstring); the `XlaSafe...` layers among
    them are computed as matmuls instead. A wrapper (`WeightNormalization`,
    `SpectralNormalization`) counts as the layer it wraps; nested models are searched.

    Args:
        model: a built functional `keras.Model`.

    Returns:
        The layers (the wrapper of a wrapped one), in the model's order.

    Example:
    ```python
    [layer.name for layer in swap_prone(feature_critic((14, 14, 6)))]  # conv1, conv2
    ```
    """
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += swap_prone(layer)
            continue
        inner = layer.layer if isinstance(layer, keras.layers.Wrapper) else layer
        transposed = isinstance(inner, keras.layers.Conv2DTranspose)
        if not isinstance(inner, keras.layers.Conv2D) and not transposed:
            continue
        for node in _nodes(layer):
            tensor = (node.input_tensors if transposed else node.output_tensors)[0]
            side = tensor.shape[1:3]
            if window_exceeds_map(inner.kernel_size, side):
                found.append(layer)
                break
    return found
