"""Labelled and unlabelled images in one stream: batches whose unlabelled images carry -1.

The one way tfgenaug passes unlabelled data to a semi-supervised trainer is the class id
`UNLABELLED` (-1, scikit-learn's convention) in an ordinary `(images, labels)` batch.
`semi_supervised_batches` builds such batches from a small labelled set and a large
unlabelled pool with a fixed labelled share per batch, as Improved-GAN's reference
draws a labelled and an unlabelled batch of equal size at every step.
"""

import numbers

import numpy as np
import tensorflow as tf

from tfgenaug.data.autotuning import without_autotuning
from tfgenaug.data.batch_checks import UNLABELLED
from tfgenaug.data.case import to_channels
from tfgenaug.data.datasets import load
from tfgenaug.data.sampling import as_numpy

# Names the unlabelled images that are the rest of the train split (the images a data
# case's selection left out), wherever unlabelled images are asked for by name.
REST_OF_TRAIN = "rest"


def _images_of(ds: tf.data.Dataset, name: str) -> np.ndarray:
    """The images of an unbatched dataset of images or `(image, label)` pairs."""
    if not isinstance(ds, tf.data.Dataset):
        raise ValueError(f"{name} must be an unbatched tf.data.Dataset; got {type(ds).__name__}")
    spec = ds.element_spec
    if isinstance(spec, tuple):
        ds = ds.map(lambda image, *_: image)
    items = list(ds.as_numpy_iterator())
    if not items:
        raise ValueError(f"{name} has no images")
    images = np.stack(items)
    if images.ndim != 4:
        raise ValueError(f"{name} must hold unbatched (H, W, C) images (or (image, label) "
                         f"pairs, labels ignored); got {spec}")
    return images.astype(np.float32)


def load_unlabelled(name: str, image_shape, data_dir: str | None = None) -> np.ndarray:
    """The train images of dataset `name`, labels dropped, as another set's unlabelled pool.

    Args:
        name: a dataset `tfgenaug.data.load` takes: `"folder:<path>"` (one sub-folder
            of images is enough), `"npz:<path>"`, a TensorFlow Datasets name, `"digits"`.
        image_shape: `(H, W, C)` of the labelled images: the pool is resized to `(H, W)`
            and converted to `C` channels (1 or 3).
        data_dir: tfds data directory.

    Returns:
        float32 images `(N, H, W, C)` in [-1, 1].

    Raises:
        ValueError: naming `unlabelled`: the dataset cannot be read or has no train image.

    Example:
    ```python
    pool = tfgenaug.data.load_unlabelled("folder:/data/unlabelled_scans", (64, 64, 1))
    ```
    """
    height, width, channels = (int(d) for d in image_shape)
    try:
        train, _, _ = load(name, image_size=(height, width), data_dir=data_dir)
    except (ValueError, FileNotFoundError) as error:
        raise ValueError(f"unlabelled={name!r} cannot be read: {error}") from error
    train = to_channels(train, channels)
    images = np.asarray([image for image, _ in train.as_numpy_iterator()], np.float32)
    if len(images) == 0:
        raise ValueError(f"unlabelled={name!r} has no train images")
    return images


def semi_supervised_batches(
    labelled: tf.data.Dataset,
    unlabelled: tf.data.Dataset,
    batch_size: int,
    labelled_share: float = 0.5,
    seed: int = 0,
) -> tf.data.Dataset:
    """An endless stream of batches mixing labelled images and unlabelled ones (label -1).

    Each batch holds `round(labelled_share * batch_size)` labelled images (the small set
    is reshuffled and repeated as often as needed) followed by unlabelled images from the
    pool, each pass over either in a new seeded order. The result is what
    `tfgenaug.trainers.SemiSupervisedGAN.fit` takes.

    Args:
        labelled: unbatched `(image, label)` pairs with labels in `[0, K)`.
        unlabelled: unbatched images, or `(image, label)` pairs whose labels are ignored
            (e.g. the rest of a train pool).
        batch_size: int. Images per batch, both kinds together.
        labelled_share: float in (0, 1). Share of labelled images in each batch.
            Defaults to 0.5.
        seed: int. Seed of both orders.

    Returns:
        An infinite `tf.data.Dataset` of `(images (batch_size, H, W, C) float32, labels
        (batch_size,) int32)` batches; pass `steps_per_epoch` to `fit`. Autotuning is
        off (`without_autotuning`).

    Raises:
        ValueError: naming the argument: an empty set, shapes that differ, a share
            outside (0, 1) or one that leaves no image of a kind in a batch.

    Example:
    ```python
    train, test, info = tfgenaug.data.load("digits", image_size=8)
    batches = tfgenaug.data.semi_supervised_batches(
        tfgenaug.data.few_shot(train, 5), train, batch_size=100)
    trainer.fit(batches, steps_per_epoch=100, epochs=30)
    ```
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or (
        batch_size < 2
    ):
        raise ValueError(f"batch_size must be an int >= 2; got {batch_size!r}")
    if not 0.0 < labelled_share < 1.0:
        raise ValueError(f"labelled_share must be in (0, 1); got {labelled_share!r}")
    per_batch = int(round(labelled_share * batch_size))
    if not 0 < per_batch < batch_size:
        raise ValueError(f"labelled_share={labelled_share} of batch_size={batch_size} leaves "
                         f"{per_batch} labelled images a batch: each kind needs at least one")
    images, labels = as_numpy(labelled)
    if len(images) == 0:
        raise ValueError("labelled has no images")
    if labels.min() < 0:
        raise ValueError(f"labelled must hold class ids >= 0; got {int(labels.min())}")
    pool = _images_of(unlabelled, "unlabelled")
    if pool.shape[1:] != images.shape[1:]:
        raise ValueError(f"unlabelled images are {pool.shape[1:]}, labelled ones "
                         f"{images.shape[1:]}: both must have one (H, W, C)")
    known = (tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
             .shuffle(len(images), seed=seed).repeat().batch(per_batch))
    unknown = (tf.data.Dataset.from_tensor_slices(pool)
               .shuffle(len(pool), seed=seed + 1).repeat().batch(batch_size - per_batch))
    minus_one = tf.fill([batch_size - per_batch], tf.constant(UNLABELLED, tf.int32))
    return without_autotuning(tf.data.Dataset.zip(known, unknown).map(
        lambda pair, rest: (tf.concat([pair[0], rest], 0), tf.concat([pair[1], minus_one], 0)),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).prefetch(tf.data.AUTOTUNE))
