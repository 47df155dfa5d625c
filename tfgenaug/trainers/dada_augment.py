"""DADA's classic augmentation of real images in stage 2: rotation, shift and flip.

The reference augments with Keras' `ImageDataGenerator` (nearest fill); here one
affine warp per image (`keras.ops.image.affine_transform`) takes its parameters from
uniforms the trainer draws statelessly, so the warp runs inside the train step.
"""

import math

import keras
import tensorflow as tf


def random_warp(images: tf.Tensor, uniforms: tf.Tensor, rotation_degrees: float,
                translation: float, flip: bool, image_shape) -> tf.Tensor:
    """Rotates, shifts (and flips) each image by parameters read from `uniforms`.

    Args:
        images: `(N, H, W, C)` images.
        uniforms: U[0, 1) values `(N, 4)`: angle, x shift, y shift, flip.
        rotation_degrees: float. Largest rotation either way.
        translation: float. Largest shift either way, as a fraction of the side.
        flip: bool. Flip horizontally the images whose fourth uniform is below 0.5.
        image_shape: `(H, W, C)` of the images.

    Returns:
        The warped images, same shape and dtype.
    """
    height, width = float(image_shape[0]), float(image_shape[1])
    u = uniforms
    angle = (2.0 * u[:, 0] - 1.0) * (rotation_degrees * math.pi / 180.0)
    shift_x = (2.0 * u[:, 1] - 1.0) * translation * width
    shift_y = (2.0 * u[:, 2] - 1.0) * translation * height
    flips = tf.cast(u[:, 3] < 0.5, tf.float32) if flip else tf.zeros_like(angle)
    transform = affine_transform(angle, shift_x, shift_y, flips, height, width)
    warped = keras.ops.image.affine_transform(
        tf.cast(images, tf.float32), transform, interpolation="bilinear",
        fill_mode="nearest",
    )
    return tf.cast(warped, images.dtype)


def affine_transform(angle, shift_x, shift_y, flip, height: float, width: float):
    """Per-image 8-parameter transforms (output -> input pixel) of a rotation about the
    centre, a shift and an optional horizontal flip."""
    cos, sin = tf.cos(angle), tf.sin(angle)
    cx, cy = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    a0, a1 = cos, -sin
    a2 = cx - (cos * (cx + shift_x) - sin * (cy + shift_y))
    b0, b1 = sin, cos
    b2 = cy - (sin * (cx + shift_x) + cos * (cy + shift_y))
    sign = 1.0 - 2.0 * flip
    a0, a1, a2 = a0 * sign, a1 * sign, a2 * sign + flip * (width - 1.0)
    zeros = tf.zeros_like(angle)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
