"""Label agreement of a generator run: a judge trained on real images scores its samples."""

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from tfgenaug import data
from tfgenaug import metrics

if TYPE_CHECKING:
    from tfgenaug.runs.generator_config import TrainConfig

# Judges by (digest of the pool and test split, classes, epochs, seed): every generator
# trained in one process on the same dataset and seed (the efficacy benchmark trains
# ~17 per seed) is judged by the same classifier, trained once.
_JUDGES: dict[tuple, tuple] = {}
_MAX_JUDGES = 4
# Neighbourhood size of precision/recall/density/coverage (Naeem et al. 2020's choice).
PRDC_K = 5


def measure_label_agreement(trainer, pool, test, info, config: "TrainConfig") -> dict:
    """Trains a judge on the real train pool and scores the trainer's samples with it.

    Returns label agreement (overall and per class), the judge's test accuracy and the
    FID between the train pool and the samples on the judge's pooled features (an
    in-domain extractor, not Inception: comparable only between runs of one dataset).
    With more than `PRDC_K` samples, also precision, recall, density and coverage of the
    samples against the pool on the same features (`*_judge_features`): FID split into
    "are the samples realistic" and "do they cover the real data"; with more than
    `PRDC_K` samples and pool images of every class, the same by class
    (`*_per_class_judge_features`, lists indexed by class id).
    The judge is trained once per process for the same pool, test split, epochs and seed.
    """
    images, labels = data.as_numpy(pool)
    judge, judge_accuracy, extractor, real_features = _judge(images, labels, test, info, config)
    wanted = np.repeat(np.arange(info.num_classes), config.agreement_per_class)
    generated = trainer.sample(wanted, seed=config.seed + 1).numpy()
    predicted = np.argmax(judge.predict(generated, verbose=0), axis=-1)
    per_class = [float(np.mean(predicted[wanted == k] == k)) for k in range(info.num_classes)]
    generated_features = metrics.extract_features(extractor, generated)
    report = {
        "label_agreement": float(np.mean(predicted == wanted)),
        "label_agreement_per_class": per_class,
        "judge_test_accuracy": judge_accuracy,
        "fid_judge_features": float(metrics.fid_from_features(real_features,
                                                              generated_features)),
    }
    if len(generated) > PRDC_K and len(real_features) > PRDC_K:
        manifold = metrics.precision_recall_density_coverage(real_features,
                                                             generated_features, k=PRDC_K)
        report.update({f"{name}_judge_features": value for name, value in manifold.items()})
    if config.agreement_per_class > PRDC_K and np.bincount(
            labels, minlength=info.num_classes).min() > PRDC_K:
        by_class = metrics.per_class_precision_recall_density_coverage(
            real_features, labels, generated_features, wanted, k=PRDC_K)
        report.update({f"{name}_per_class_judge_features":
                       [by_class[k][name] for k in range(info.num_classes)]
                       for name in metrics.PRDC_METRICS})
    return report


def _judge(images, labels, test, info, config: "TrainConfig") -> tuple:
    """`(judge, its test accuracy, its feature extractor, the pool's features)`, cached."""
    test_images, test_labels = data.as_numpy(test)
    digest = hashlib.sha256()
    for array in (images, labels, test_images, test_labels):
        digest.update(np.ascontiguousarray(array).tobytes())
    key = (digest.hexdigest(), info.num_classes, config.judge_epochs, config.seed)
    if key not in _JUDGES:
        judge = metrics.train_reference_classifier(
            images, labels, info.num_classes, epochs=config.judge_epochs, seed=config.seed
        )
        extractor = metrics.feature_extractor(judge)
        if len(_JUDGES) >= _MAX_JUDGES:
            _JUDGES.pop(next(iter(_JUDGES)))
        _JUDGES[key] = (judge, metrics.label_agreement(judge, test_images, test_labels),
                        extractor, metrics.extract_features(extractor, images))
    return _JUDGES[key]
