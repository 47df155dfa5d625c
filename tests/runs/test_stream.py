"""`tfgenaug.runs.stream.training_stream`: seeded, resumable, the same under a strategy."""

import numpy as np
import tensorflow as tf

from tfgenaug.runs.stream import training_stream
from tfgenaug.trainers.compile_path import probe_dataset

# 40 elements in batches of 8: five batches a pass, so six batches cross a reshuffle.
IMAGES = np.linspace(-1, 1, 40 * 2 * 2).reshape(40, 2, 2, 1).astype(np.float32)
LABELS = np.arange(40, dtype=np.int32)
BATCHES = 6


def train() -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((IMAGES, LABELS))


def one_device(start_step: int = 0, seed: int = 3) -> list:
    stream = training_stream(train(), batch_size=8, seed=seed, start_step=start_step)
    return [(images.numpy(), labels.numpy()) for images, labels in stream.take(BATCHES)]


def test_the_order_is_seeded_and_reshuffled_every_pass():
    batches = one_device()
    assert [labels.tolist() for _, labels in batches] == [
        labels.tolist() for _, labels in one_device()]
    first_pass = np.concatenate([labels for _, labels in batches[:5]])
    assert sorted(first_pass) == list(range(40)) and list(first_pass) != list(range(40))
    assert batches[5][1].tolist() != batches[0][1].tolist()
    assert batches[0][1].tolist() != one_device(seed=4)[0][1].tolist()


def test_a_resumed_stream_sees_what_the_uninterrupted_one_would_have():
    whole, resumed = one_device(), one_device(start_step=3)
    for (images, labels), (resumed_images, resumed_labels) in zip(whole[3:], resumed,
                                                                  strict=False):
        np.testing.assert_array_equal(resumed_labels, labels)
        np.testing.assert_array_equal(resumed_images, images)


def test_a_two_replica_strategy_splits_the_same_global_batches(mirrored_strategy):
    """Keras' `fit` distributes the stream with `experimental_distribute_dataset`, which
    rewrites the pipeline to split each batch; the seeded order must survive the rewrite,
    across a reshuffle and after a resume's skip."""
    for start_step in (0, 3):
        distributed = mirrored_strategy.experimental_distribute_dataset(
            training_stream(train(), batch_size=8, seed=3, start_step=start_step))
        expected = one_device(start_step)
        for (images, labels), (want_images, want_labels) in zip(distributed, expected,
                                                                strict=False):
            parts = mirrored_strategy.experimental_local_results(labels)
            assert [len(part) for part in parts] == [4, 4]
            np.testing.assert_array_equal(np.concatenate(parts), want_labels)
            np.testing.assert_array_equal(
                np.concatenate(mirrored_strategy.experimental_local_results(images)),
                want_images)


def test_a_probe_moves_the_order_of_the_dataset_it_iterates_not_of_a_new_one():
    """Why `runs.fit_loop.run_batches` builds the probe a stream of its own: every new
    iterator of a reshuffling `Dataset.shuffle` draws the next order."""
    expected = one_device()[0][1]
    shared = training_stream(train(), batch_size=8, seed=3, start_step=0)
    own = training_stream(train(), batch_size=8, seed=3, start_step=0)
    for _ in range(2):  # the probe fits on its dataset, replayed from its start
        next(iter(probe_dataset(own)))
    np.testing.assert_array_equal(next(iter(shared))[1], expected)
    next(iter(probe_dataset(shared)))
    assert next(iter(shared))[1].numpy().tolist() != expected.tolist()
