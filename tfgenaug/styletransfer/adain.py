"""Adaptive instance normalization (AdaIN): content features with a style's statistics."""

import tensorflow as tf

DEFAULT_EPS = 1e-5


def _check_features(features, name: str) -> tf.Tensor:
    features = tf.convert_to_tensor(features)
    if features.shape.rank != 4:
        raise ValueError(
            f"{name} must be feature maps of shape (N, H, W, C); got shape {tuple(features.shape)}"
        )
    return features


def channel_statistics(features, eps: float = DEFAULT_EPS) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-image, per-channel mean and standard deviation over the spatial axes.

    Args:
        features: float `(N, H, W, C)` feature maps.
        eps: float. Added to the variance before the square root. Defaults to `1e-5`.

    Returns:
        `(mean, std)`, each `(N, 1, 1, C)`, with `std = sqrt(var + eps)`.

    Raises:
        ValueError: `features` is not rank 4.

    Example:

    >>> mean, std = channel_statistics(tf.reshape(tf.range(4.0), (1, 2, 2, 1)), eps=0.0)
    >>> float(mean[0, 0, 0, 0]), round(float(std[0, 0, 0, 0]), 4)
    (1.5, 1.118)
    """
    features = _check_features(features, "features")
    mean, variance = tf.nn.moments(features, axes=[1, 2], keepdims=True)
    return mean, tf.sqrt(variance + eps)


def adain_with_statistics(content_features, style_mean, style_std, eps: float = DEFAULT_EPS):
    """AdaIN with the style given by its channel statistics `(N or 1, 1, 1, C)`.

    `std_s * (f_c - mean_c) / std_c + mean_s`, statistics as in `channel_statistics`.
    """
    content_features = _check_features(content_features, "content_features")
    content_mean, content_std = channel_statistics(content_features, eps)
    style_mean = tf.cast(style_mean, content_features.dtype)
    style_std = tf.cast(style_std, content_features.dtype)
    return style_std * (content_features - content_mean) / content_std + style_mean


def adain(content_features, style_features, eps: float = DEFAULT_EPS) -> tf.Tensor:
    """Adaptive instance normalization (Huang & Belongie 2017).

    Normalises each channel of each content feature map to zero mean and unit standard
    deviation over its spatial positions, then gives it the mean and standard deviation of
    the same channel of the style features: `std_s * (f_c - mean_c) / std_c + mean_s`.
    The output has the style's channel means exactly and its standard deviations up to
    the factor `sqrt(var_c / (var_c + eps))`.

    References:
        - Huang & Belongie, [Arbitrary Style Transfer in Real-time with Adaptive Instance
          Normalization](https://arxiv.org/abs/1703.06868), ICCV 2017.

    Args:
        content_features: float `(N, H, W, C)`.
        style_features: float `(N, H', W', C)` or `(1, H', W', C)` (one style for all);
            the spatial size may differ from the content's.
        eps: float. Variance stabiliser. Defaults to `1e-5`.

    Returns:
        `(N, H, W, C)` features, the content's layout with the style's statistics.

    Raises:
        ValueError: naming `content_features` or `style_features` when either is not rank
            4, their channels differ, or the style batch is neither 1 nor N.

    Example:
    ```python
    features = encoder(content)
    target = adain(features, encoder(style))
    stylised = decoder(target)
    ```
    """
    content_features = _check_features(content_features, "content_features")
    style_features = _check_features(style_features, "style_features")
    content_shape, style_shape = content_features.shape, style_features.shape
    if content_shape[-1] != style_shape[-1]:
        raise ValueError(
            "style_features must have as many channels as content_features; got style shape "
            f"{tuple(style_shape)} and content shape {tuple(content_shape)}"
        )
    if style_shape[0] not in (None, 1) and content_shape[0] not in (None, style_shape[0]):
        raise ValueError(
            "style_features must have batch size 1 or that of content_features; got style "
            f"shape {tuple(style_shape)} and content shape {tuple(content_shape)}"
        )
    style_mean, style_std = channel_statistics(style_features, eps)
    return adain_with_statistics(content_features, style_mean, style_std, eps)
