"""Measures of generated data and of the classifiers it trains.

FID, KID and precision/recall/density/coverage are computed on the features of an
in-domain classifier trained on the real data (`feature_extractor`), not on Inception:
compare values only within one extractor, never with published Inception FIDs.
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
from tfgenaug.metrics.manifold import METRICS as PRDC_METRICS
from tfgenaug.metrics.manifold import nearest_neighbour_radii
from tfgenaug.metrics.manifold import per_class_precision_recall_density_coverage
from tfgenaug.metrics.manifold import precision_recall_density_coverage
from tfgenaug.metrics.novelty import nearest_distances
from tfgenaug.metrics.novelty import novelty_ratio
from tfgenaug.metrics.novelty import same_class_nearest_distances

__all__ = [
    "PRDC_METRICS",
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
    "nearest_neighbour_radii",
    "novelty_ratio",
    "per_class_fid",
    "per_class_precision_recall_density_coverage",
    "polynomial_kernel",
    "precision_recall_density_coverage",
    "same_class_nearest_distances",
    "train_reference_classifier",
]
