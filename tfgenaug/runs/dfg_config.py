"""What DFG's transfer run trains, on what, and where it writes: `DFGConfig`."""

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from tfgenaug import data
from tfgenaug.trainers import compile_path
from tfgenaug.validation import check_int
from tfgenaug.validation import check_positive_int

METHODS = ("original", "delta", "dfg")
# DFGConfig fields only some methods read: {field: the methods reading it}.
METHOD_SPECIFIC_FIELDS = {"attention_every": ("dfg",)}
ARCHITECTURES = ("lenet5", "vgg16", "resnet50")


def _check_classes(value, name: str) -> tuple[int, ...]:
    message = (f"{name} must be a non-empty sequence of unique class ids (ints >= 0), "
               f"e.g. (0, 1, 2, 3, 4); got {value!r}")
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise ValueError(message)
    ids = list(value)
    if not ids or len(set(ids)) != len(ids) or any(
        isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0 for k in ids
    ):
        raise ValueError(message)
    return tuple(int(k) for k in ids)


@dataclasses.dataclass
class DFGConfig:
    """What DFG's transfer experiment trains, on what, and where it writes.

    Attributes:
        dataset: "digits" or a TensorFlow Datasets name prepared in `data_dir`: the
            target dataset (and the source one unless `source_dataset` is set).
        data_dir: tfds data directory, or None for tfds' default.
        image_size: side of the square images, any int >= 8 (vgg16 and resnet50
            need at least 32).
        source_classes: class ids of the source dataset that E and C are pretrained on.
        target_classes: class ids of `dataset` learnt after, relabelled 0..K-1 in this
            order. Disjoint from `source_classes` when the source is the same dataset
            and is pretrained on (`source_steps > 0`).
        minor_class_num: how many target classes are made rare (chosen by a seeded
            shuffle), in [1, K].
        imbalance_ratio: each rare class keeps `max(1, int(majority * ratio))` train
            images, in (0, 1]; 0.05 is 1:20.
        method: "original" (fine-tuning), "delta" (fine-tuning with DELTA's Omega) or
            "dfg" (feature generation).
        steps: target train steps to reach (a rerun continues to this number).
        source_steps: source pretraining steps; 0 skips pretraining and uses `weights`
            as the source model (then `weights` is required).
        batch_size: batch size of both stages.
        seed: seed of the minority classes, the data selection, the weights and the
            training randomness.
        model_dir: where checkpoints, the source cache, config.json and metrics.json go.
        jit_compile: `True` (XLA), `False` or `"auto"` (XLA on an accelerator, on a CPU
            the faster path timed at the run's start; see `tfgenaug.trainers.compile_path`).
        architecture: "lenet5", "vgg16" or "resnet50" (`tfgenaug.networks.dfg_networks`).
        weights: None or the path of a weights file for the architecture's builder
            (nothing is downloaded).
        source_dataset: None for `dataset`, or another dataset name (same image size
            and channels) to pretrain on.
        source_dir: where the pretrained source E and C are cached; None for
            `model_dir/source`. Methods sharing it share one pretraining.
        checkpoint_every: steps between checkpoints and log lines.
        attention_every: DFG only: steps between updates of the class attention.
        export_dir: if set, E+C is exported to `export_dir/classifier/` and (dfg) G to
            `export_dir/feature_generator/` when training ends.
        channels: None to keep the images' channels, or 1 (grayscale) or 3 (RGB) to
            convert source and target images, e.g. 1 for SVHN with an EMNIST source, as
            the reference does.

    Example:
    ```python
    config = DFGConfig(method="dfg", steps=1000, model_dir="/tmp/dfg")
    config.validate()
    ```
    """

    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int = 16
    source_classes: tuple[int, ...] = (0, 1, 2, 3, 4)
    target_classes: tuple[int, ...] = (5, 6, 7, 8, 9)
    minor_class_num: int = 2
    imbalance_ratio: float = 0.05
    method: str = "dfg"
    steps: int = 2000
    source_steps: int = 1000
    batch_size: int = 64
    seed: int = 0
    model_dir: str = "runs/dfg_digits"
    jit_compile: bool | str = compile_path.AUTO
    architecture: str = "lenet5"
    weights: str | None = None
    source_dataset: str | None = None
    source_dir: str | None = None
    checkpoint_every: int = 250
    attention_every: int = 500
    export_dir: str | None = None
    channels: int | None = None

    def validate(self) -> None:
        """Raises a ValueError naming the first bad field and its expected form."""
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ValueError(f"dataset must be 'digits' or a tfds name; got {self.dataset!r}")
        if self.source_dataset is not None and (
            not isinstance(self.source_dataset, str) or not self.source_dataset
        ):
            raise ValueError("source_dataset must be None (the same dataset) or a dataset "
                             f"name; got {self.source_dataset!r}")
        check_int(self.image_size, "image_size", minimum=8)
        source = _check_classes(self.source_classes, "source_classes")
        target = _check_classes(self.target_classes, "target_classes")
        same = self.source_dataset in (None, self.dataset)
        if same and self.source_steps and set(source) & set(target):
            raise ValueError(
                "source_classes and target_classes must be disjoint when the source is the "
                f"target dataset; both hold {sorted(set(source) & set(target))}"
            )
        if isinstance(self.minor_class_num, bool) or not isinstance(self.minor_class_num, int) \
                or not 1 <= self.minor_class_num <= len(target):
            raise ValueError(
                f"minor_class_num must be an int in [1, {len(target)}] (the number of "
                f"target_classes); got {self.minor_class_num!r}"
            )
        ratio = self.imbalance_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
            raise ValueError(f"imbalance_ratio must be a number in (0, 1], e.g. 0.05 for 1:20; "
                             f"got {ratio!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        for name in ("steps", "batch_size", "checkpoint_every", "attention_every"):
            check_positive_int(getattr(self, name), name)
        if isinstance(self.source_steps, bool) or not isinstance(self.source_steps, int) or (
            self.source_steps < 0
        ):
            raise ValueError(f"source_steps must be an integer >= 0; got {self.source_steps!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int; got {self.seed!r}")
        if not isinstance(self.model_dir, str) or not self.model_dir:
            raise ValueError("model_dir must be a non-empty path")
        compile_path.check_jit_compile(self.jit_compile)
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got "
                             f"{self.architecture!r}")
        if self.architecture != "lenet5" and self.image_size < 32:
            raise ValueError(f"image_size must be at least 32 for architecture="
                             f"{self.architecture!r}; got {self.image_size}")
        if self.weights is not None and not (
            isinstance(self.weights, str | os.PathLike) and os.path.isfile(self.weights)
        ):
            raise ValueError("weights must be None or the path of an existing weights file "
                             f"(nothing is downloaded); got {self.weights!r}")
        if self.channels is not None and (isinstance(self.channels, bool)
                                          or self.channels not in (1, 3)):
            raise ValueError(f"channels must be None, 1 (grayscale) or 3 (RGB); got "
                             f"{self.channels!r}")
        if self.source_steps == 0 and self.weights is None:
            raise ValueError("source_steps=0 skips source pretraining and needs weights (a "
                             "pretrained weights file); got weights=None")

    def data_case(self, minority_classes: Sequence[int]) -> data.DataCase:
        """The target `DataCase`: `target_classes` relabelled, `minority_classes` made rare.

        Args:
            minority_classes: the rare target classes (relabelled ids), e.g. from
                `tfgenaug.trainers.dfg_protocol.choose_minority_classes`.
        """
        return data.DataCase(
            dataset=self.dataset, image_size=self.image_size, data_dir=self.data_dir,
            minority_classes=tuple(minority_classes), imbalance_ratio=self.imbalance_ratio,
            seed=self.seed, classes=tuple(self.target_classes), channels=self.channels,
        )


