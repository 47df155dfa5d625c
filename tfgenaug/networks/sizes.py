"""How the default networks fit any image size: doublings, start maps, crops and widths.

The rule, shared by the generators and critics: a network of an `(h, w)` image makes
`k = floor(log2(min(h, w) / 4))` stride-2 steps (at least one), so the smaller side of
the generator's first map (or the critic's last) has 4 to 7 cells. The generator starts
at `(ceil(h / 2^k), ceil(w / 2^k))`, doubles `k` times and centre-crops the surplus
(none when `h` and `w` divide by `2^k`: 28x28 goes 7, 14, 28; 100x60 goes 13x8 to
104x64 and is cropped). Channels double per step away from the image, from `width`, up
to `16 * width` (`MAX_WIDTH_DOUBLINGS`), so a 224-pixel network is not 32 times wider
than its last layer. For the powers of two 8..64 this is the networks' former layout,
layer for layer.
"""

import math

import keras

FINAL_SIDE = 4
"""The generator's first (the critic's last) map has a smaller side of 4 to 7 cells."""

MAX_WIDTH_DOUBLINGS = 4
"""Channels double per stride-2 step up to `2 ** MAX_WIDTH_DOUBLINGS` times `width`."""


def doublings(height: int, width: int) -> int:
    """Stride-2 steps between an `(height, width)` image and a map of smaller side 4..7.

    Example:

    >>> doublings(8, 8), doublings(28, 28), doublings(100, 60), doublings(224, 224)
    (1, 2, 3, 5)
    """
    return max(1, int(math.floor(math.log2(min(height, width) / FINAL_SIDE))))


def start_shape(height: int, width: int, steps: int) -> tuple[int, int]:
    """The map that `steps` doublings grow to at least `(height, width)`.

    Example:

    >>> start_shape(100, 60, 3)
    (13, 8)
    """
    return math.ceil(height / 2**steps), math.ceil(width / 2**steps)


def channels(width: int, doubling: int) -> int:
    """`width * 2**doubling`, the doubling capped at `MAX_WIDTH_DOUBLINGS`."""
    return width * 2 ** min(doubling, MAX_WIDTH_DOUBLINGS)


def center_crop(x, height: int, width: int, name: str):
    """`x` (NHWC) centre-cropped to `(height, width)`; `x` itself when it has that size."""
    extra_h, extra_w = x.shape[1] - height, x.shape[2] - width
    if extra_h == 0 and extra_w == 0:
        return x
    cropping = ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2))
    return keras.layers.Cropping2D(cropping, name=name)(x)
