"""Train one classifier under one condition and report how it does on the real test split.

`evaluate_condition` selects the cell's images, looks its condition up in the registry
(`tfgenaug.evaluation.registry`) and calls the record's `train`; nothing here knows a
condition by name.
"""

import dataclasses
import time

import numpy as np

from tfgenaug import data
from tfgenaug import metrics
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.config import EvalConfig

PREDICT_BATCH_SIZE = 256


def data_case(config: EvalConfig) -> data.DataCase:
    """The `tfgenaug.data.DataCase` of `config`'s cell (dataset, size, count, imbalance, seed)."""
    return data.DataCase(
        dataset=config.dataset, image_size=config.image_size, data_dir=config.data_dir,
        count=config.count, minority_classes=tuple(config.minority_classes),
        imbalance_ratio=config.imbalance_ratio, seed=config.seed,
    )


def select_training_data(config: EvalConfig, with_pool: bool = False):
    """Loads the dataset and selects the training images of `config`'s case.

    The selection is `tfgenaug.data.select` of `data_case(config)`, the one a generator
    run makes for the same `count`, `minority_classes`, `imbalance_ratio` and `seed`, so
    a generator trained there has seen exactly these images.

    Returns:
        `(train_images, train_labels, test_images, test_labels, info)` as numpy arrays
        and the `DatasetInfo`; with `with_pool=True` also `(pool_images, pool_labels)`,
        the training images left out by the selection.

    Raises:
        ValueError: the dataset cannot be loaded, `count` is larger than the smallest
            class, or `minority_classes` are not class ids.
    """
    try:
        selection = data.select(data_case(config), with_pool=with_pool)
    except data.CountTooLargeError as error:
        raise ValueError(
            f"count={error.count} is larger than the images available: the smallest "
            f"class of {error.dataset!r} has {error.smallest} training images"
        ) from error
    images, labels = selection.train_arrays
    test_images, test_labels = selection.test_arrays
    if not with_pool:
        return images, labels, test_images, test_labels, selection.info
    return images, labels, test_images, test_labels, selection.info, selection.pool


def evaluate_condition(config: EvalConfig) -> dict:
    """Trains one classifier under `config.condition` and reports on the real test split.

    Args:
        config: an `EvalConfig`.

    Returns:
        A JSON-serialisable dict: the config (without the generator object), the
        training counts per class, `tfgenaug.metrics.classification_report` of the test
        split (accuracy, balanced accuracy, minority recall, per-class
        precision/recall/F1, confusion matrix) and `seconds`, the wall time, then the
        sections the condition adds (`Trained.details`): `"self_training"` (its
        rounds), `"stda"` (the ST-DA images kept and dropped, the mix, and the
        teacher's test accuracy), `"filtered"` (the GAN samples kept).

    Raises:
        ValueError: a bad field of `config`, naming it.

    Example:
    ```python
    report = evaluate_condition(EvalConfig(condition="classic", count=10, seed=0))
    print(report["accuracy"])
    ```
    """
    config.validate()
    start = time.perf_counter()
    condition = registry.get(config.condition)
    if condition.needs_pool:
        images, labels, test_images, test_labels, info, pool = select_training_data(
            config, with_pool=True)
        if config.unlabelled != data.REST_OF_TRAIN:  # another dataset's images, labels unknown
            pool_images = data.load_unlabelled(config.unlabelled, images.shape[1:],
                                               config.data_dir)
            pool = (pool_images, np.full(len(pool_images), data.UNLABELLED, np.int64))
    else:
        images, labels, test_images, test_labels, info = select_training_data(config)
        pool = None
    trained = condition.train(config, registry.TrainingSet(images, labels, info.num_classes,
                                                           pool))
    logits = trained.model.predict(test_images, batch_size=PREDICT_BATCH_SIZE, verbose=0)
    extra = dict(trained.details)
    if trained.test_details is not None:
        for section, fields in trained.test_details(test_images, test_labels).items():
            extra[section] = {**extra.get(section, {}), **fields}
    report = metrics.classification_report(
        test_labels, np.argmax(logits, axis=-1), info.num_classes,
        minority_classes=list(config.minority_classes) or None,
    )
    settings = dataclasses.asdict(config)
    generator = settings.pop("generator")
    settings["generator"] = generator if isinstance(generator, str | type(None)) else repr(
        type(generator).__name__
    )
    report.update({
        "config": settings,
        "training_counts": np.bincount(labels, minlength=info.num_classes).tolist(),
        "class_names": list(info.class_names),
        "seconds": time.perf_counter() - start,
        **extra,
    })
    return report
