"""Unlabelled pools for self-training made of generated samples."""

from collections.abc import Callable

import numpy as np

from tfgenaug.validation import check_int


def generated_pool(
    generator: Callable,
    num_per_class: int,
    num_classes: int,
    seed: int = 0,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Generates `num_per_class` images of each class to serve as an unlabelled pool.

    The classes are shuffled with `seed` and passed to `generator` in chunks of
    `batch_size`, so the pool does not come sorted by class. The classes the images were
    generated for are returned too: hide them from training (pass the images as
    `unlabelled`) and give them as `unlabelled_labels` to `self_train` to see how often
    the classifier's pseudo-labels agree with the generator's conditioning.

    The generator is any callable; `selftrain` never imports a trainer. It must give
    fresh noise on every call (a trainer's `sample` without a fixed seed does) and
    images in the range of the labelled data (tfgenaug's trainers: [-1, 1]).

    Args:
        generator: callable mapping int32 class ids `(n,)` to images `(n, H, W, C)`
            (NumPy array or tensor), e.g. `trainer.sample`.
        num_per_class: int >= 1. Images per class.
        num_classes: int >= 1. Number of classes K; classes `0 .. K-1` are generated.
        seed: int. Seed of the class order. Defaults to 0.
        batch_size: int >= 1. Most labels passed to one generator call. Defaults to 256.

    Returns:
        `(images, classes)`: float32 `(K * num_per_class, H, W, C)` and int32
        `(K * num_per_class,)`.

    Raises:
        ValueError: naming `num_per_class`, `num_classes` or `batch_size` when not a
            positive int, or `generator` when it is not callable or returns the wrong
            number of images.

    Example:
    ```python
    pool, generated_for = generated_pool(trainer.sample, 100, info.num_classes)
    result = self_train(build_model, few, pool, unlabelled_labels=generated_for,
                        validation=(test_images, test_labels))
    ```
    """
    if not callable(generator):
        raise ValueError(f"generator must be a callable labels -> images; got {generator!r}")
    for value, name in ((num_per_class, "num_per_class"), (num_classes, "num_classes"),
                        (batch_size, "batch_size")):
        check_int(value, name, minimum=1)
    classes = np.repeat(np.arange(num_classes, dtype=np.int32), num_per_class)
    classes = np.random.default_rng(seed).permutation(classes)
    chunks = []
    for start in range(0, len(classes), batch_size):
        labels = classes[start:start + batch_size]
        images = np.asarray(generator(labels), dtype=np.float32)
        if images.ndim < 2 or len(images) != len(labels):
            raise ValueError(
                f"generator must return one image per label; got shape {images.shape} for "
                f"{len(labels)} labels"
            )
        chunks.append(images)
    return np.concatenate(chunks), classes
