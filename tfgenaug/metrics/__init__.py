"""Measures of generated data and of the classifiers it trains.

FID and KID are computed on the features of an in-domain classifier trained on the
real data (`feature_extractor`), not on Inception: compare values only within one
extractor, never with published Inception FIDs.
"""

from tfgenaug.metrics.classification import classification_accuracy_score
from tfgenaug.metrics.classification import classification_report
from tfgenaug.metrics.classification import confusion_matrix_png
from tfgenaug.metrics.features import extract_features
from tfgenaug.metrics.features import feature_extractor
from tfgenaug.metrics.frechet import feature_moments
from tfgenaug.metrics.frechet import fid_from_features
from tfgenaug.metrics.frechet import frechet_distance
from tfgenaug.metrics.frechet import per_class_fid
from tfgenaug.metrics.kernel import kid_from_features
from tfgenaug.metrics.kernel import mmd2_unbiased
from tfgenaug.metrics.kernel import polynomial_kernel
from tfgenaug.metrics.label_agreement import label_agreement
from tfgenaug.metrics.label_agreement import train_reference_classifier
from tfgenaug.metrics.novelty import nearest_distances
from tfgenaug.metrics.novelty import novelty_ratio
from tfgenaug.metrics.novelty import same_class_nearest_distances

__all__ = [
    "classification_accuracy_score",
    "classification_report",
    "confusion_matrix_png",
    "extract_features",
    "feature_extractor",
    "feature_moments",
    "fid_from_features",
    "frechet_distance",
    "kid_from_features",
    "label_agreement",
    "mmd2_unbiased",
    "nearest_distances",
    "novelty_ratio",
    "per_class_fid",
    "polynomial_kernel",
    "same_class_nearest_distances",
    "train_reference_classifier",
]
