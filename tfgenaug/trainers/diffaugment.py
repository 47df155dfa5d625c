"""Differentiable Augmentation (Zhao et al. 2020) for data-efficient GAN training.

The same random, differentiable transformations are applied to the real and the
generated images the discriminator sees, in the discriminator *and* the generator
steps, so D cannot tell real from fake by the augmentation and G gets gradients
through it.

As in Keras' preprocessing layers, the randomness is separate from the maths: the
trainer draws `num_uniforms(policy)` U[0, 1) values per image with its portable
per-step generator (keyed by seed, step and draw, sliced per replica), and
`diff_augment(images, uniforms, policy)` is a deterministic, differentiable function of
them. A `MirroredStrategy` run therefore augments exactly as one device, and a resumed
run continues the same stream.

References:
    - Zhao et al., [Differentiable Augmentation for Data-Efficient GAN
      Training](https://arxiv.org/abs/2006.10738); reference code
      mit-han-lab/data-efficient-gans (`DiffAugment_tf.py`).
"""

from collections.abc import Sequence

import tensorflow as tf

# Random values per image each transformation takes, in the order they are applied.
TRANSFORMS = {"color": 3, "translation": 2, "cutout": 2}
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def parse_policy(policy: str | Sequence[str] | None) -> tuple[str, ...]:
    """The transformations of `policy` as a tuple, in the order given.

    Args:
        policy: a comma-separated string such as `"color,translation,cutout"`, a
            sequence of names, or `None` / `""` for no augmentation.

    Returns:
        A tuple of names from `("color", "translation", "cutout")`, without repeats.

    Raises:
        ValueError: naming `diffaugment` for an unknown or repeated name.
    """
    if policy is None:
        return ()
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [name.strip() for name in names if name.strip()]
    for name in names:
        if name not in TRANSFORMS:
            raise ValueError(
                f"diffaugment must be a comma-separated subset of {sorted(TRANSFORMS)}; "
                f"got {policy!r}"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"diffaugment must not repeat a transformation; got {policy!r}")
    return tuple(names)


def num_uniforms(policy: Sequence[str]) -> int:
    """The number of U[0, 1) values per image `diff_augment` takes for `policy`."""
    return sum(TRANSFORMS[name] for name in policy)


def diff_augment(images: tf.Tensor, uniforms: tf.Tensor, policy: Sequence[str]) -> tf.Tensor:
    """Applies the transformations of `policy` to `images`, differentiably.

    Args:
        images: `(N, H, W, C)` float images, in [-1, 1] for the colour ranges below.
        uniforms: `(N, num_uniforms(policy))` U[0, 1) values, consumed in policy order.
        policy: names from `parse_policy`.

    Returns:
        Images of the same shape and dtype.

    Example:
    ```python
    policy = parse_policy("color,translation,cutout")
    uniforms = tf.random.uniform([8, num_uniforms(policy)])
    augmented = diff_augment(images, uniforms, policy)
    ```
    """
    column = 0
    for name in policy:
        width = TRANSFORMS[name]
        u = tf.cast(uniforms[:, column : column + width], images.dtype)
        column += width
        if name == "color":
            images = adjust_contrast(
                adjust_saturation(adjust_brightness(images, u[:, 0]), u[:, 1]), u[:, 2]
            )
        elif name == "translation":
            images = translate(images, u)
        else:
            images = cutout(images, u)
    return images


def _per_image(u: tf.Tensor) -> tf.Tensor:
    return tf.reshape(u, [-1, 1, 1, 1])


def adjust_brightness(images: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
    """Adds `u - 0.5` (in [-0.5, 0.5)) to every pixel of each image."""
    return images + (_per_image(u) - 0.5)


def adjust_saturation(images: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
    """Scales each pixel's deviation from its channel mean by `2u` (in [0, 2))."""
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * (_per_image(u) * 2.0) + mean


def adjust_contrast(images: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
    """Scales each image's deviation from its mean by `u + 0.5` (in [0.5, 1.5))."""
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (_per_image(u) + 0.5) + mean


def _integer(u: tf.Tensor, count: int) -> tf.Tensor:
    """`floor(u * count)` as int32 in [0, count)."""
    return tf.minimum(tf.cast(tf.floor(u * count), tf.int32), count - 1)


def translate(images: tf.Tensor, u: tf.Tensor, ratio: float = TRANSLATION_RATIO) -> tf.Tensor:
    """Shifts each image by whole pixels, up to `ratio` of its side, filling with zeros.

    The shift along each axis is an integer in `[-s, s]`, `s = round(side * ratio)`;
    it is applied as a product with one-hot shift matrices, which is differentiable in
    the images and compiles with XLA.

    Args:
        images: `(N, H, W, C)`.
        u: `(N, 2)` U[0, 1) values: the vertical and the horizontal shift.
        ratio: float. Largest shift as a fraction of the side. Defaults to 1/8.
    """
    height, width = int(images.shape[1]), int(images.shape[2])
    shift_y = _integer(u[:, 0], 2 * int(height * ratio + 0.5) + 1) - int(height * ratio + 0.5)
    shift_x = _integer(u[:, 1], 2 * int(width * ratio + 0.5) + 1) - int(width * ratio + 0.5)
    # rows[n, i, k] = 1 where output row i reads input row k = i - shift; an index
    # outside the image one-hot-encodes to zeros, which is the zero fill.
    rows = tf.one_hot(tf.range(height)[None, :] - shift_y[:, None], height, dtype=images.dtype)
    cols = tf.one_hot(tf.range(width)[None, :] - shift_x[:, None], width, dtype=images.dtype)
    return tf.einsum("nik,njl,nklc->nijc", rows, cols, images)


def cutout(images: tf.Tensor, u: tf.Tensor, ratio: float = CUTOUT_RATIO) -> tf.Tensor:
    """Zeroes one square of side `round(side * ratio)` per image, centred anywhere.

    Args:
        images: `(N, H, W, C)`.
        u: `(N, 2)` U[0, 1) values: the row and the column of the square's centre.
        ratio: float. Side of the square as a fraction of the image side. Defaults
            to 1/2.
    """
    height, width = int(images.shape[1]), int(images.shape[2])
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = _integer(u[:, 0], height) - size_y // 2
    left = _integer(u[:, 1], width) - size_x // 2
    rows = tf.range(height)[None, :] - top[:, None]
    cols = tf.range(width)[None, :] - left[:, None]
    inside_rows = (rows >= 0) & (rows < size_y)
    inside_cols = (cols >= 0) & (cols < size_x)
    cut = inside_rows[:, :, None] & inside_cols[:, None, :]
    mask = 1.0 - tf.cast(cut, images.dtype)
    return images * mask[:, :, :, None]
