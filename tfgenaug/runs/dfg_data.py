"""DFG's data: the source classes to pretrain on, and the imbalanced target data case."""

import dataclasses

import numpy as np
import tensorflow as tf

from tfgenaug import data
from tfgenaug.data.case import with_channels
from tfgenaug.runs.dfg_config import DFGConfig
from tfgenaug.trainers.dfg_protocol import choose_minority_classes


@dataclasses.dataclass
class DFGData:
    """The experiment's data, as `prepare_data` returns it.

    Attributes:
        source_images, source_labels: source train images and labels relabelled 0..S-1.
        target_train: unbatched target train `tf.data.Dataset` (imbalanced, relabelled).
        target_test_images, target_test_labels: the target test split (evaluation only).
        info: the target dataset's `DatasetInfo`.
        minority_classes: the rare target classes (relabelled ids).
        training_counts: train images per target class after the imbalance.
        class_names: names of the K target classes.
        selection: the target `tfgenaug.data.Selection` the fields above come from.
    """

    source_images: np.ndarray
    source_labels: np.ndarray
    target_train: tf.data.Dataset
    target_test_images: np.ndarray
    target_test_labels: np.ndarray
    info: data.DatasetInfo
    minority_classes: list[int]
    training_counts: list[int]
    class_names: list[str]
    selection: data.Selection | None = None


def _check_ids(classes, num_classes: int, field: str, name: str) -> None:
    outside = [k for k in classes if k >= num_classes]
    if outside:
        raise ValueError(f"{field} must be class ids of {name!r}, in [0, {num_classes}); got "
                         f"{outside}")


def _source_split(config: DFGConfig, target_split):
    """`(train, info)` of the source dataset: the target's split when it is the same."""
    train, _, info = target_split
    if config.source_dataset in (None, config.dataset):
        return train, info
    name = config.source_dataset
    try:
        split = data.load(name, image_size=config.image_size, data_dir=config.data_dir)
    except ValueError as error:
        raise ValueError(f"source_dataset={name!r} cannot be loaded: {error}") from error
    source_train, _, source_info = with_channels(split, config.channels)
    if tuple(source_info.image_shape) != tuple(info.image_shape):
        raise ValueError(
            f"source_dataset={name!r} has images of shape {source_info.image_shape}"
            f", the target {config.dataset!r} {info.image_shape}: they must match (set "
            "channels=1 or 3 to convert both)"
        )
    return source_train, source_info


def prepare_data(config: DFGConfig) -> DFGData:
    """Loads the source and target data and applies the imbalance protocol.

    The target is the data case `config.data_case(minority)` (`tfgenaug.data.select`),
    with `minority` the seeded `choose_minority_classes`.

    Args:
        config: a validated `DFGConfig`.

    Returns:
        A `DFGData`. Only the train splits go into `source_*` and `target_train`.

    Raises:
        ValueError: a dataset cannot be loaded, class ids outside a dataset's classes,
            or source and target images of different shapes.
    """
    num_classes = len(config.target_classes)
    minority = choose_minority_classes(num_classes, config.minor_class_num, seed=config.seed)
    case = config.data_case(minority)
    split = data.load_case(case)
    info = split[2]
    _check_ids(config.target_classes, info.num_classes, "target_classes", config.dataset)
    source_train, source_info = _source_split(config, split)
    source_name = config.source_dataset or config.dataset
    _check_ids(config.source_classes, source_info.num_classes, "source_classes", source_name)
    if config.source_steps:
        source_images, source_labels = data.as_numpy(
            data.select_classes(source_train, config.source_classes))
    else:  # `weights` is the source model: the source images are not needed
        source_images = np.zeros((0, *info.image_shape), np.float32)
        source_labels = np.zeros((0,), np.int32)
    selection = data.select(case, split=split)
    test_images, test_labels = selection.test_arrays
    return DFGData(
        source_images=source_images,
        source_labels=source_labels,
        target_train=selection.train,
        target_test_images=test_images,
        target_test_labels=test_labels,
        info=info,
        minority_classes=minority,
        training_counts=selection.training_counts,
        class_names=selection.class_names,
        selection=selection,
    )
