"""Argument checks of the network builders: image shapes and normalization names.

General checks (counts, numbers, seeds) are in `tfgenaug.validation`.
"""

from collections.abc import Sequence

SUPPORTED_SIZES = (8, 16, 32, 64)


def check_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """Checks that `image_shape` is a square `(size, size, channels)` a GAN can produce.

    Args:
        image_shape: `(height, width, channels)` with height == width a power of two in
            8..64 and 1 or 3 channels.

    Returns:
        The shape as a tuple of ints.

    Raises:
        ValueError: naming `image_shape` and the expected form.
    """
    shape = tuple(int(d) for d in image_shape)
    if len(shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); got {tuple(image_shape)}"
        )
    height, width, channels = shape
    if height != width or height not in SUPPORTED_SIZES:
        raise ValueError(
            "image_shape must be square with a side that is a power of two in 8..64 "
            f"(one of {SUPPORTED_SIZES}); got {shape}"
        )
    if channels not in (1, 3):
        raise ValueError(f"image_shape must have 1 or 3 channels; got {shape}")
    return shape


NORMALIZATIONS = ("batch", "layer", "none")


def check_normalization(normalization: str, name: str = "normalization") -> str:
    """Checks a normalization name against `NORMALIZATIONS`."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"{name} must be one of {NORMALIZATIONS}; got {normalization!r}")
    return normalization
