"""`tfgenaug.runs.unlabelled`: a semi-supervised run's unlabelled images and its stream."""

import numpy as np
import pytest

from tfgenaug import data
from tfgenaug.runs import unlabelled


@pytest.fixture(scope="module")
def selection():
    return data.select(data.DataCase(image_size=8, count=2, seed=0), with_pool=True)


def test_rest_is_the_labelled_images_then_the_pool(selection):
    images = unlabelled.unlabelled_images("rest", selection)
    labelled = selection.train_arrays[0]
    assert images.shape == (1258, 8, 8, 1) and images.dtype == np.float32
    np.testing.assert_array_equal(images[:20], labelled)
    np.testing.assert_array_equal(images[20:], selection.pool[0])


def test_none_is_the_labelled_images_alone(selection):
    """What an always-mixed trainer (ssgan) given no --unlabelled trains on (it failed
    with "unlabelled='' cannot be read")."""
    images = unlabelled.unlabelled_images("", selection)
    np.testing.assert_array_equal(images, selection.train_arrays[0])
    assert images.dtype == np.float32


def test_rest_needs_the_pool():
    no_pool = data.select(data.DataCase(image_size=8, count=2, seed=0))
    with pytest.raises(ValueError, match="unlabelled='rest' needs the selection's pool"):
        unlabelled.unlabelled_images("rest", no_pool)


def test_a_dataset_gives_its_train_images_resized_and_converted_to_the_runs_channels(
        tmp_path, selection):
    rng = np.random.default_rng(0)
    path = tmp_path / "pool.npz"
    rgb = rng.integers(0, 256, (30, 16, 12, 3), dtype=np.uint8)
    np.savez(path, images=rgb, labels=np.arange(30) % 3)
    images = unlabelled.unlabelled_images(f"npz:{path}", selection)
    # 20 labelled, then the npz's train split (load carves 3 of each class's 10 off as
    # test, so 3 x 7; labels ignored).
    assert images.shape == (20 + 21, 8, 8, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_the_stream_resumes_where_an_uninterrupted_one_would_be(selection):
    images = unlabelled.unlabelled_images("rest", selection)
    whole = unlabelled.semi_supervised_stream(selection, images, 10, seed=3, start_step=0)
    resumed = unlabelled.semi_supervised_stream(selection, images, 10, seed=3, start_step=2)
    third = list(whole.take(3))[2]
    first = next(iter(resumed))
    np.testing.assert_array_equal(third[0], first[0])
    np.testing.assert_array_equal(third[1], first[1])
    assert list(first[1].numpy()[5:]) == [data.UNLABELLED] * 5
