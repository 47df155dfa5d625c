"""Tests of `tfgenaug.explain.heatmaps`: PNG output, ink masks, relevance-on-object share."""

import numpy as np
import pytest

from tfgenaug.explain import heatmap_png
from tfgenaug.explain import ink_mask
from tfgenaug.explain import relevance_on_object_share


def test_heatmap_png_writes_a_png(tmp_path):
    rng = np.random.default_rng(0)
    relevance = rng.normal(size=(3, 8, 8, 1))
    images = rng.uniform(-1, 1, (3, 8, 8, 1))
    for name, kwargs in (("plain.png", {}), ("sub/with_images.png", {"images": images})):
        path = heatmap_png(relevance, tmp_path / name, **kwargs)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_heatmap_png_checks_image_shape(tmp_path):
    with pytest.raises(ValueError, match="images must have shape"):
        heatmap_png(np.zeros((2, 8, 8, 1)), tmp_path / "x.png", images=np.zeros((2, 4, 4, 1)))


def test_ink_mask_marks_pixels_above_background():
    images = np.array([[[[-1.0], [-0.6]], [[0.0], [1.0]]]])
    assert ink_mask(images).tolist() == [[[False, False], [True, True]]]
    assert ink_mask(images * 127.5 + 127.5, value_range=(0, 255)).tolist() == [
        [[False, False], [True, True]]
    ]
    with pytest.raises(ValueError, match="threshold"):
        ink_mask(images, threshold=1.0)


def test_share_counts_positive_relevance_on_the_mask():
    relevance = np.array([
        [[3.0, 1.0], [-2.0, 0.0]],
        [[-1.0, -1.0], [-1.0, -1.0]],
    ])[..., None]
    mask = np.array([[[True, False], [True, False]]] * 2)
    share = relevance_on_object_share(relevance, mask)
    np.testing.assert_allclose(share[0], 0.75)
    assert np.isnan(share[1])
    # One (H, W) mask for all images.
    np.testing.assert_allclose(relevance_on_object_share(relevance, mask[0])[0], 0.75)
    with pytest.raises(ValueError, match="mask must have shape"):
        relevance_on_object_share(relevance, np.ones((3, 3)))
