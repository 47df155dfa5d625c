"""The unlabelled images of a semi-supervised run (`TrainConfig.unlabelled`) and its stream.

A semi-supervised trainer (`--trainer=ssgan`) learns from the run's labelled selection
and from unlabelled images: `"rest"` is the rest of the train split (the images the
selection left out, as the efficacy benchmark's `self_training` and `ssgan` rows use),
any other value a dataset `tfgenaug.data.load` reads (`"folder:<path>"`, `"npz:<path>"`,
a TensorFlow Datasets name), whose train images are taken without their labels, at the
run's image size. The labelled images count as unlabelled too, as in Improved-GAN.
"""

import numpy as np
import tensorflow as tf

from tfgenaug import data


def unlabelled_images(unlabelled: str, selection: data.Selection,
                      data_dir: str | None = None) -> np.ndarray:
    """The unlabelled images of a run: its labelled ones, then those `unlabelled` names.

    Args:
        unlabelled: `"rest"` (needs `selection` made with `with_pool=True`), a dataset
            name `tfgenaug.data.load` takes, or `""` for none (the labelled images only).
        selection: the run's `tfgenaug.data.Selection`.
        data_dir: tfds data directory for a dataset name.

    Returns:
        float32 images `(N, H, W, C)` in [-1, 1].

    Raises:
        ValueError: naming `unlabelled`: a dataset whose images have another shape
            than the run's, or no image at all.
    """
    labelled = selection.train_arrays[0].astype(np.float32)
    if not unlabelled:  # a trainer that always mixes (ssgan) given no more images
        return labelled
    if unlabelled == data.REST_OF_TRAIN:
        if selection.pool is None:
            raise ValueError("unlabelled='rest' needs the selection's pool: "
                             "data.select(case, with_pool=True)")
        extra = selection.pool[0]
    else:
        extra = data.load_unlabelled(unlabelled, labelled.shape[1:], data_dir)
    if len(extra) and tuple(extra.shape[1:]) != tuple(labelled.shape[1:]):
        raise ValueError(f"unlabelled images of {unlabelled!r} are {tuple(extra.shape[1:])}; "
                         f"the run's are {tuple(labelled.shape[1:])}")
    extra = np.asarray(extra, np.float32).reshape(-1, *labelled.shape[1:])
    return np.concatenate([labelled, extra])


def semi_supervised_stream(selection: data.Selection, unlabelled: np.ndarray,
                           batch_size: int, seed: int, start_step: int) -> tf.data.Dataset:
    """`tfgenaug.data.semi_supervised_batches` of the run, skipping the steps trained.

    A pure function of its arguments, so a resumed run sees the batches an
    uninterrupted one would have seen from `start_step` on; under a multi-worker
    strategy the batches are sharded, as `training_stream`'s.
    """
    images, labels = selection.train_arrays
    stream = data.semi_supervised_batches(
        tf.data.Dataset.from_tensor_slices((images, labels)),
        tf.data.Dataset.from_tensor_slices(unlabelled), batch_size, seed=seed)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return stream.skip(start_step).with_options(options)
