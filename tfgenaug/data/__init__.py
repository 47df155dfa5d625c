"""Labelled image data: loading, users' folders and arrays, data cases, subsets, value ranges.

Images are float32 NHWC in `[-1, 1]` and labels int32 class ids (see DESIGN.md, "Data").
"""

from tfgenaug.data.arrays import from_arrays
from tfgenaug.data.arrays import from_npz
from tfgenaug.data.autotuning import without_autotuning
from tfgenaug.data.batch_checks import UNLABELLED
from tfgenaug.data.case import CountTooLargeError
from tfgenaug.data.case import DataCase
from tfgenaug.data.case import Selection
from tfgenaug.data.case import load_case
from tfgenaug.data.case import select
from tfgenaug.data.case import select_classes
from tfgenaug.data.case import to_channels
from tfgenaug.data.datasets import load
from tfgenaug.data.datasets import short_name
from tfgenaug.data.folders import from_directory
from tfgenaug.data.folders import to_directory
from tfgenaug.data.info import AUTO_SIZE
from tfgenaug.data.info import DatasetInfo
from tfgenaug.data.info import parse_image_size
from tfgenaug.data.info import parse_image_size_text
from tfgenaug.data.info import resolve_image_size
from tfgenaug.data.pairs import same_class_pairs
from tfgenaug.data.sampling import as_numpy
from tfgenaug.data.sampling import class_counts
from tfgenaug.data.sampling import few_shot
from tfgenaug.data.sampling import imbalance
from tfgenaug.data.semi_supervised import REST_OF_TRAIN
from tfgenaug.data.semi_supervised import load_unlabelled
from tfgenaug.data.semi_supervised import semi_supervised_batches
from tfgenaug.data.value_range import assert_in_value_range
from tfgenaug.data.value_range import check_value_range
from tfgenaug.data.value_range import from_model_range
from tfgenaug.data.value_range import to_model_range

__all__ = [
    "AUTO_SIZE",
    "CountTooLargeError",
    "DataCase",
    "DatasetInfo",
    "Selection",
    "REST_OF_TRAIN",
    "UNLABELLED",
    "as_numpy",
    "assert_in_value_range",
    "check_value_range",
    "class_counts",
    "few_shot",
    "from_arrays",
    "from_directory",
    "from_model_range",
    "from_npz",
    "imbalance",
    "parse_image_size",
    "parse_image_size_text",
    "resolve_image_size",
    "load_unlabelled",
    "same_class_pairs",
    "semi_supervised_batches",
    "load",
    "load_case",
    "select",
    "select_classes",
    "short_name",
    "to_channels",
    "to_directory",
    "to_model_range",
    "without_autotuning",
]
