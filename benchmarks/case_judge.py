"""The judge of a benchmark case: a classifier trained on the whole train split.

The generator-quality benchmarks (`truncation`, `generator_ema`) score samples the way
`train_generator` scores runs: label agreement by a reference classifier trained on the
case's whole train split (its few-shot selection and the rest of the pool), and FID /
precision / recall / density / coverage on that classifier's pooled features.
"""

import dataclasses

import numpy as np

from benchmarks import efficacy
from tfgenaug import metrics
from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation.runner import select_training_data

JUDGE_EPOCHS = 30


@dataclasses.dataclass
class CaseJudge:
    """A case's data (the generator's training selection, the test split) and its judge."""

    fields: dict
    images: np.ndarray
    labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    num_classes: int
    judge: object
    extractor: object
    real_features: np.ndarray

    @property
    def test_accuracy(self) -> float:
        """The judge's accuracy on the real test split."""
        return metrics.label_agreement(self.judge, self.test_images, self.test_labels)


def case_judge(case: str, seed: int, budget: efficacy.Budget = efficacy.FULL,
               epochs: int = JUDGE_EPOCHS) -> CaseJudge:
    """Selects `case`'s data for `seed` and trains the judge on the whole train split.

    Args:
        case: a key of `efficacy.CASES`.
        seed: int. The case's selection seed and the judge's seed.
        budget: the efficacy budget whose image size is used. Defaults to `FULL`.
        epochs: int. The judge's epochs. Defaults to 30.

    Returns:
        A `CaseJudge`; `real_features` are the judge's features of the whole split.
    """
    fields = efficacy.case_fields(case, seed)
    config = EvalConfig(image_size=budget.image_size, seed=seed, **fields)
    images, labels, test_images, test_labels, info, pool = select_training_data(
        config, with_pool=True)
    split_images = np.concatenate([images, pool[0]])
    split_labels = np.concatenate([labels, pool[1]])
    judge = metrics.train_reference_classifier(split_images, split_labels, info.num_classes,
                                               epochs=epochs, seed=seed)
    extractor = metrics.feature_extractor(judge)
    return CaseJudge(fields=fields, images=images, labels=labels, test_images=test_images,
                     test_labels=test_labels, num_classes=info.num_classes, judge=judge,
                     extractor=extractor,
                     real_features=metrics.extract_features(extractor, split_images))
