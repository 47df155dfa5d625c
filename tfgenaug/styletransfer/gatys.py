"""Gatys et al. neural style transfer by optimising the image: ST-DA's reference setting.

Slow (one optimisation per image) but exact. The reference setting of ST-DA (the
authors' README history, after titu1994's Keras implementation): VGG16 at 224x224,
content layer `block5_conv2`, content weight 0.025, style weight 1.0, total-variation
weight 8.5e-5, initialised from the content image. With a VGG16 weights file of your
own (nothing is downloaded):

```python
vgg = keras.applications.VGG16(
    weights="/data/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    include_top=False, input_shape=(224, 224, 3))
stylised = gatys_transfer(
    content, style, vgg,                     # RGB images in [0, 255], (N, 224, 224, 3)
    content_layer="block5_conv2",
    style_layers=["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                  "block5_conv1"],
    content_weight=0.025, style_weight=1.0, tv_weight=8.5e-5,
    value_range=(0, 255), preprocess=keras.applications.vgg16.preprocess_input,
    steps=500, learning_rate=0.02)
```
The authors optimised with L-BFGS; this uses Adam on the image.
"""

import numbers
from collections.abc import Callable
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import from_model_range
from tfgenaug.data.value_range import to_model_range
from tfgenaug.styletransfer.encoder import feature_model as outputs_of_layers
from tfgenaug.styletransfer.encoder import input_shape_of
from tfgenaug.validation import check_int


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """Per-image Gram matrices `(N, C, C)` of features `(N, H, W, C)`: `F^T F`."""
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], -1, shape[-1]])
    return tf.matmul(flat, flat, transpose_a=True)


def style_loss(style_features: tf.Tensor, generated_features: tf.Tensor) -> tf.Tensor:
    """Per-image `sum((G_s - G_g)^2) / (4 C^2 (H W)^2)` (Gatys et al.; keras-io)."""
    shape = tf.shape(generated_features)
    channels = tf.cast(shape[-1], tf.float32)
    size = tf.cast(shape[1] * shape[2], tf.float32)
    difference = gram_matrix(style_features) - gram_matrix(generated_features)
    return tf.reduce_sum(tf.square(difference), axis=[1, 2]) / (4.0 * channels**2 * size**2)


def total_variation_loss(images: tf.Tensor) -> tf.Tensor:
    """Per-image `sum((dx^2 + dy^2)^1.25)` over neighbouring pixels (keras-io's form)."""
    down = tf.square(images[:, :-1, :-1, :] - images[:, 1:, :-1, :])
    right = tf.square(images[:, :-1, :-1, :] - images[:, :-1, 1:, :])
    return tf.reduce_sum(tf.pow(down + right + 1e-12, 1.25), axis=[1, 2, 3])


def _as_batch(images, name: str) -> tuple[np.ndarray, bool]:
    array = np.asarray(images, np.float32)
    if array.ndim == 3:
        return array[None], True
    if array.ndim != 4:
        raise ValueError(
            f"{name} must be an image (H, W, C) or a batch (N, H, W, C); got shape {array.shape}"
        )
    return array, False


def _check_positive(value, name: str, allow_zero: bool = True) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")
    return float(value)


def gatys_transfer(
    content,
    style,
    feature_model: keras.Model,
    content_layer: str,
    style_layers: Sequence[str],
    content_weight: float = 0.025,
    style_weight: float = 1.0,
    tv_weight: float = 8.5e-5,
    steps: int = 100,
    learning_rate: float = 0.02,
    value_range: Sequence[float] = (-1, 1),
    preprocess: Callable | None = None,
    return_losses: bool = False,
):
    """Renders `content` in the style of `style` by optimising the image (Gatys et al.).

    Minimises `content_weight * sum((F_l(x) - F_l(c))^2)` at `content_layer` plus
    `style_weight / len(style_layers) * sum_l style_loss` (Gram matrices, `style_loss`)
    plus `tv_weight * total_variation_loss(x)`, over the image `x`, starting from the
    content image. Each image of a batch is optimised independently (the losses are
    per-image sums). The image is optimised with Adam in [-1, 1] coordinates (so
    `learning_rate` does not depend on `value_range`) and clipped to the range after
    every step; the losses are measured on the images in `value_range`.

    References:
        - Gatys, Ecker, Bethge, [A Neural Algorithm of Artistic Style](
          https://arxiv.org/abs/1508.06576), 2015.
        - The keras-io example "Neural style transfer" (its loss terms).

    Args:
        content: image `(H, W, C)` or batch `(N, H, W, C)` in `value_range`.
        style: image `(H', W', C)` or batch `(N or 1, H', W', C)` in `value_range`; the
            spatial size may differ from the content's if the feature model allows it.
        feature_model: a `keras.Model` holding the named layers, e.g. a VGG16; it is
            given `preprocess(images)` (or the images in `value_range` as they are).
        content_layer: str. Layer whose features the content loss matches
            (`"block5_conv2"` in ST-DA's setting).
        style_layers: names of the layers whose Gram matrices the style loss matches.
        content_weight: float >= 0. Defaults to `0.025`.
        style_weight: float >= 0. Defaults to `1.0`.
        tv_weight: float >= 0. Defaults to `8.5e-5`.
        steps: int >= 1. Optimisation steps. Defaults to 100.
        learning_rate: float > 0. Adam's step size in [-1, 1] units. Defaults to `0.02`.
        value_range: `(low, high)` of the images. Defaults to `(-1, 1)`.
        preprocess: optional callable applied to the images (in `value_range`) before
            the feature model, e.g. `keras.applications.vgg16.preprocess_input` for
            RGB images in [0, 255]. Defaults to `None`.
        return_losses: bool. Also return the total loss before every step and after the
            last (`steps + 1` floats, summed over the batch). Defaults to `False`.

    Returns:
        The stylised images, float32, same shape as `content` and inside `value_range`;
        with `return_losses`, the pair `(images, losses)`.

    Raises:
        ValueError: naming `content` or `style` when their shapes do not fit (rank,
            channels, style batch neither 1 nor N), a layer name the model lacks, or a
            weight, `steps` or `learning_rate` out of range.

    Example:
    ```python
    features = tfgenaug.metrics.train_reference_classifier(x, y, num_classes=10)
    stylised = gatys_transfer(x[:4], x[10:11], features, content_layer="block1_relu1",
                              style_layers=["block0_relu0", "block1_relu0"], steps=200)
    ```
    """
    low, high = check_value_range(value_range)
    content_weight = _check_positive(content_weight, "content_weight")
    style_weight = _check_positive(style_weight, "style_weight")
    tv_weight = _check_positive(tv_weight, "tv_weight")
    learning_rate = _check_positive(learning_rate, "learning_rate", allow_zero=False)
    check_int(steps, "steps", minimum=1)
    if isinstance(style_layers, str) or len(style_layers) == 0:
        raise ValueError(
            f"style_layers must be a non-empty list of layer names; got {style_layers!r}"
        )
    content, single = _as_batch(content, "content")
    style, _ = _as_batch(style, "style")
    if style.shape[-1] != content.shape[-1]:
        raise ValueError(
            f"style must have as many channels as content; got style shape {style.shape} and "
            f"content shape {content.shape}"
        )
    if len(style) not in (1, len(content)):
        raise ValueError(
            f"style must hold 1 image or one per content image ({len(content)}); got "
            f"{len(style)}"
        )
    expected = input_shape_of(feature_model)
    for name, images in (("content", content), ("style", style)):
        if any(e is not None and e != g for e, g in zip(expected, images.shape[1:], strict=True)):
            raise ValueError(
                f"{name} images have shape {images.shape[1:]} but the feature model takes "
                f"{expected}"
            )
    extractor = outputs_of_layers(
        feature_model, [content_layer, *style_layers], "content_layer/style_layers"
    )
    preprocess = preprocess or (lambda images: images)

    def features_of(images):
        outputs = extractor(preprocess(images), training=False)
        return [tf.cast(o, tf.float32) for o in outputs]

    content_target = features_of(tf.constant(content))[0]
    style_targets = features_of(tf.constant(style))[1:]
    variable = tf.Variable(to_model_range(content, (low, high)))
    optimizer = keras.optimizers.Adam(learning_rate)
    per_style = style_weight / len(style_layers)

    def total_loss(model_images):
        images = from_model_range(model_images, (low, high))
        features = features_of(images)
        loss = content_weight * tf.reduce_sum(tf.square(features[0] - content_target))
        for generated, target in zip(features[1:], style_targets, strict=True):
            target = tf.broadcast_to(target, tf.shape(generated))
            loss += per_style * tf.reduce_sum(style_loss(target, generated))
        return loss + tv_weight * tf.reduce_sum(total_variation_loss(images))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = total_loss(variable)
        gradient = tape.gradient(loss, variable)
        optimizer.apply_gradients([(gradient, variable)])
        variable.assign(tf.clip_by_value(variable, -1.0, 1.0))
        return loss

    losses = [float(step()) for _ in range(int(steps))]
    losses.append(float(total_loss(variable)))
    result = np.clip(from_model_range(variable.numpy(), (low, high)), low, high)
    result = result[0] if single else result
    return (result, losses) if return_losses else result
