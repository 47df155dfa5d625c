"""Measures of generated data and of the classifiers it trains."""

from tfgenaug.metrics.label_agreement import label_agreement
from tfgenaug.metrics.label_agreement import train_reference_classifier

__all__ = ["label_agreement", "train_reference_classifier"]
