"""Tests of tfgenaug.callbacks.sample_grid: tiling, PNG files and the SampleGrid callback."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgenaug.callbacks import SampleGrid
from tfgenaug.callbacks import image_grid
from tfgenaug.callbacks import sample_grid
from tfgenaug.callbacks import save_png

# Class `k` is drawn with uint8 intensity CLASS_PIXELS[k] (none equal to the white padding).
CLASS_PIXELS = (40, 80, 120)


def to_unit(pixels):
    """Maps uint8 intensities to the [-1, 1] floats that image_grid maps back to them."""
    return np.asarray(pixels, np.float32) / 127.5 - 1.0


class FakeGenerator(keras.Model):
    """Conditional "generator" whose images are constant at their class's intensity.

    With `noisy=True` the top-left pixel of every image is a stateless random value
    drawn from `seed`, so grids sampled with different seeds differ.
    """

    def __init__(self, num_classes=3, image_shape=(4, 6, 1), noisy=False):
        super().__init__()
        self.num_classes = num_classes
        self.noise_dim = 2
        self.image_shape = image_shape
        self.noisy = noisy
        self.calls = []
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def sample(self, labels, seed=None):
        labels = tf.convert_to_tensor(labels)
        assert labels.dtype == tf.int32
        self.calls.append((labels.numpy().tolist(), seed))
        values = tf.gather(to_unit(CLASS_PIXELS), labels)
        images = tf.broadcast_to(values[:, None, None, None], [len(labels), *self.image_shape])
        if self.noisy:
            noise = tf.random.stateless_uniform([len(labels)], seed=[seed, 0])
            corner = tf.scatter_nd([[0, 0, 0]], [1.0], self.image_shape)
            images = images + noise[:, None, None, None] * corner
        return images


def read_png(path):
    return tf.io.decode_png(tf.io.read_file(path)).numpy()


# ----------------------------------------------------------------------------- image_grid


def test_image_grid_small_exact_array():
    images = to_unit([[[[0], [255]]], [[[51], [102]]]])  # two 1x2 one-channel images
    grid = image_grid(images, rows=1, cols=2)
    expected = np.array(
        [
            [255, 255, 255, 255, 255, 255, 255],
            [255, 0, 255, 255, 51, 102, 255],
            [255, 255, 255, 255, 255, 255, 255],
        ],
        np.uint8,
    )[..., None]
    assert grid.dtype == np.uint8
    np.testing.assert_array_equal(grid, expected)


def test_image_grid_blocks_row_major_one_channel():
    pixels = [0, 51, 102, 153, 204, 250]
    images = np.stack([np.full((2, 3, 1), v, np.float32) for v in to_unit(pixels)])
    grid = image_grid(images, rows=2, cols=3, padding=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 1)
    expected = np.full((7, 13, 1), 255, np.uint8)
    expected[1:3, 1:4] = 0
    expected[1:3, 5:8] = 51
    expected[1:3, 9:12] = 102
    expected[4:6, 1:4] = 153
    expected[4:6, 5:8] = 204
    expected[4:6, 9:12] = 250
    np.testing.assert_array_equal(grid, expected)


def test_image_grid_three_channels_and_wide_padding():
    colours = np.array([[255, 0, 10], [0, 128, 20]], np.uint8)
    images = np.stack([np.broadcast_to(to_unit(c), (2, 2, 3)) for c in colours])
    grid = image_grid(images, rows=2, cols=1, padding=2)
    assert grid.shape == (2 * 4 + 2, 1 * 4 + 2, 3)
    np.testing.assert_array_equal(grid[2:4, 2:4], np.broadcast_to(colours[0], (2, 2, 3)))
    np.testing.assert_array_equal(grid[6:8, 2:4], np.broadcast_to(colours[1], (2, 2, 3)))
    mask = np.ones(grid.shape[:2], bool)
    mask[2:4, 2:4] = mask[6:8, 2:4] = False
    assert (grid[mask] == 255).all()
    assert mask.sum() == 10 * 6 - 8


def test_image_grid_value_range_clipping_and_no_padding():
    images = np.array([-0.5, 0.0, 0.2, 1.0, 1.5], np.float32).reshape(5, 1, 1, 1)
    grid = image_grid(tf.constant(images), rows=1, cols=5, value_range=(0, 1), padding=0)
    np.testing.assert_array_equal(grid[..., 0], [[0, 0, 51, 255, 255]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(images=np.zeros((6, 2, 2)), rows=2, cols=3), "`images` must have rank 4"),
        (dict(images=np.zeros((5, 2, 2, 1)), rows=2, cols=3), "`images` must hold rows * cols"),
        (dict(images=np.zeros((6, 2, 2, 1)), rows=0, cols=3), "`rows` and `cols` must be >= 1"),
        (dict(images=np.zeros((6, 2, 2, 1)), rows=2, cols=3, padding=-1), "`padding` must"),
        (
            dict(images=np.zeros((6, 2, 2, 1)), rows=2, cols=3, value_range=(1, -1)),
            "`value_range` must be (low, high)",
        ),
    ],
)
def test_image_grid_errors_name_the_argument(kwargs, message):
    with pytest.raises(ValueError) as error:
        image_grid(**kwargs)
    assert message in str(error.value)


# ----------------------------------------------------------------------------- save_png


@pytest.mark.parametrize("channels", [1, 3])
def test_save_png_round_trip_atomic(tmp_path, channels):
    grid = np.random.default_rng(0).integers(0, 256, (5, 7, channels), dtype=np.uint8)
    path = str(tmp_path / "a" / "b" / "grid.png")
    assert save_png(path, grid) == path
    np.testing.assert_array_equal(read_png(path), grid)
    assert sorted(os.listdir(tmp_path / "a" / "b")) == ["grid.png"]

    second = grid[::-1].copy()  # overwriting an existing file works
    save_png(path, second)
    np.testing.assert_array_equal(read_png(path), second)
    assert sorted(os.listdir(tmp_path / "a" / "b")) == ["grid.png"]


def test_save_png_upscale_is_nearest_neighbour(tmp_path):
    grid = np.array([[[1], [2]], [[3], [4]]], np.uint8)
    decoded = read_png(save_png(str(tmp_path / "up.png"), grid, upscale=3))
    assert decoded.shape == (6, 6, 1)
    np.testing.assert_array_equal(decoded, np.repeat(np.repeat(grid, 3, axis=0), 3, axis=1))
    np.testing.assert_array_equal(decoded[:3, 3:, 0], np.full((3, 3), 2))


def test_save_png_errors(tmp_path):
    with pytest.raises(ValueError, match="`grid` must be a uint8 array"):
        save_png(str(tmp_path / "x.png"), np.zeros((2, 2, 1), np.float32))
    with pytest.raises(ValueError, match="`grid` must be a uint8 array"):
        save_png(str(tmp_path / "x.png"), np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="`upscale` must be >= 1, got 0"):
        save_png(str(tmp_path / "x.png"), np.zeros((2, 2, 1), np.uint8), upscale=0)
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- sample_grid


def test_sample_grid_one_row_per_class():
    model = FakeGenerator(num_classes=3, image_shape=(4, 6, 1))
    grid = sample_grid(model, per_class=4, seed=5)
    assert model.calls == [([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], 5)]
    assert grid.shape == (3 * 5 + 1, 4 * 7 + 1, 1)
    cells = np.zeros(grid.shape[:2], bool)
    for row in range(3):
        for col in range(4):
            top, left = 1 + 5 * row, 1 + 7 * col
            cells[top : top + 4, left : left + 6] = True
            np.testing.assert_array_equal(grid[top : top + 4, left : left + 6], CLASS_PIXELS[row])
    assert (grid[~cells] == 255).all()


def test_sample_grid_rgb_and_per_class_error():
    model = FakeGenerator(num_classes=2, image_shape=(3, 3, 3))
    grid = sample_grid(model, per_class=1)
    assert grid.shape == (9, 5, 3)
    assert model.calls[0][1] == 0
    np.testing.assert_array_equal(grid[1:4, 1:4], np.full((3, 3, 3), 40))
    np.testing.assert_array_equal(grid[5:8, 1:4], np.full((3, 3, 3), 80))
    with pytest.raises(ValueError, match="`per_class` must be >= 1, got 0"):
        sample_grid(model, per_class=0)


def test_sample_grid_rejects_wrong_sample_count():
    model = FakeGenerator()
    model.sample = lambda labels, seed=None: tf.zeros([2, 4, 4, 1])
    with pytest.raises(ValueError, match=r"`model.sample` must return 6 images"):
        sample_grid(model, per_class=2)


# ----------------------------------------------------------------------------- SampleGrid


def test_sample_grid_callback_arguments():
    callback = SampleGrid("out", per_class=3, seed=4, every_n_epochs=2, log_dir="tb")
    assert (callback.out_dir, callback.per_class, callback.seed) == ("out", 3, 4)
    assert (callback.every_n_epochs, callback.log_dir, callback.keep_all) == (2, "tb", True)
    assert callback.upscale is None
    with pytest.raises(ValueError, match="`per_class` must be >= 1, got 0"):
        SampleGrid("out", per_class=0)
    with pytest.raises(ValueError, match="`every_n_epochs` must be >= 1, got 0"):
        SampleGrid("out", every_n_epochs=0)
    with pytest.raises(ValueError, match="`upscale` must be None or >= 1, got 0"):
        SampleGrid("out", upscale=0)


def test_sample_grid_callback_files_every_n_epochs(tmp_path):
    model = FakeGenerator(noisy=True)
    out_dir = str(tmp_path / "samples")
    callback = SampleGrid(out_dir, per_class=2, seed=7, every_n_epochs=2)
    callback.set_model(model)
    for epoch in range(5):
        callback.on_epoch_end(epoch)
    callback.on_train_end()

    names = ["samples.png", "samples_epoch_0002.png", "samples_epoch_0004.png"]
    names.append("samples_epoch_0005.png")  # the last epoch, written at train end
    assert sorted(os.listdir(out_dir)) == names
    assert [seed for _, seed in model.calls] == [7, 7, 7]

    # 4x6 images: the default upscale makes the shorter cell side 4 * 8 = 32 px.
    expected = np.repeat(np.repeat(sample_grid(model, per_class=2, seed=7), 8, 0), 8, 1)
    assert expected.shape == ((3 * 5 + 1) * 8, (2 * 7 + 1) * 8, 1)
    for name in names:
        np.testing.assert_array_equal(read_png(os.path.join(out_dir, name)), expected)
    other_seed = sample_grid(model, per_class=2, seed=8)
    assert not np.array_equal(other_seed, sample_grid(model, per_class=2, seed=7))


def test_sample_grid_callback_latest_only_and_no_duplicate_write(tmp_path):
    model = FakeGenerator()
    callback = SampleGrid(str(tmp_path), per_class=1, keep_all=False, upscale=1)
    callback.set_model(model)
    callback.on_epoch_end(0)
    callback.on_train_end()  # epoch 1 already written: nothing more
    assert len(model.calls) == 1
    assert os.listdir(tmp_path) == ["samples.png"]
    assert read_png(str(tmp_path / "samples.png")).shape == (16, 8, 1)


def test_sample_grid_callback_during_fit(tmp_path):
    model = FakeGenerator()
    model.compile(optimizer="sgd", loss="mse")
    callback = SampleGrid(str(tmp_path), per_class=1, every_n_epochs=3)
    x = np.zeros((4, 2), np.float32)
    model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    assert sorted(os.listdir(tmp_path)) == ["samples.png", "samples_epoch_0002.png"]


def test_sample_grid_callback_refuses_a_model_that_cannot_sample_before_training(tmp_path):
    classifier = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    classifier.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="SampleGrid needs a class-conditional model with "
                                         r"`num_classes` and `sample\(labels, seed=None\)`.*"
                                         "Sequential has no num_classes and no sample"):
        classifier.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[SampleGrid(str(tmp_path))])
    assert classifier.optimizer.iterations.numpy() == 0  # refused before the first step


def test_sample_grid_callback_tensorboard_summary(tmp_path):
    model = FakeGenerator(noisy=True)
    log_dir = tmp_path / "logs"
    callback = SampleGrid(str(tmp_path / "png"), per_class=2, log_dir=str(log_dir))
    callback.set_model(model)
    callback.on_epoch_end(0)
    callback.on_epoch_end(1)
    callback.on_train_end()

    images = []
    for name in os.listdir(log_dir):
        path = str(log_dir / name)
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                images.append((event.step, value.tag, value.metadata.plugin_data.plugin_name))
                width, height, png = value.tensor.string_val
                assert (int(width), int(height)) == (15, 16)
                decoded = tf.io.decode_png(png).numpy()
                np.testing.assert_array_equal(decoded, sample_grid(model, per_class=2))
    assert images == [(1, "samples", "images"), (2, "samples", "images")]
