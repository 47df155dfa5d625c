"""What a classifier looks at: Deep Taylor relevance, heatmaps, relevance on the object.

ST-DA's evaluation: does training on augmented data move a classifier's relevance onto
the object? On digits, compare `relevance_on_object_share(deep_taylor(model, x),
ink_mask(x))` of a plain and an augmented classifier on the same real test images.
"""

from tfgenaug.explain.deep_taylor import deep_taylor
from tfgenaug.explain.heatmaps import heatmap_png
from tfgenaug.explain.heatmaps import ink_mask
from tfgenaug.explain.heatmaps import relevance_on_object_share

__all__ = ["deep_taylor", "heatmap_png", "ink_mask", "relevance_on_object_share"]
