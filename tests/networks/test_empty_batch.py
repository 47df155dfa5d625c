"""call_on_rows: a network's output for a batch that may be empty."""

import numpy as np
import tensorflow as tf

from tfgenaug.networks import conditional_generator
from tfgenaug.networks.empty_batch import call_on_rows

SHAPE = (8, 8, 1)


def test_an_empty_batch_gets_the_output_shape_and_a_full_one_the_model_s_output():
    generator = conditional_generator(SHAPE, 3, 4, 4)
    empty = call_on_rows(generator, [tf.zeros((0, 4)), tf.zeros((0,), tf.int32)])
    assert tuple(empty.shape) == (0, *SHAPE)
    noise = tf.random.stateless_normal((5, 4), seed=(1, 2))
    labels = tf.constant([0, 1, 2, 0, 1])
    np.testing.assert_array_equal(call_on_rows(generator, [noise, labels]),
                                  generator([noise, labels], training=False))


def test_it_traces_with_an_unknown_batch_size():
    generator = conditional_generator(SHAPE, 3, 4, 4)
    run = tf.function(lambda noise, labels: call_on_rows(generator, [noise, labels]),
                      input_signature=[tf.TensorSpec((None, 4)), tf.TensorSpec((None,), tf.int32)])
    assert tuple(run(tf.zeros((0, 4)), tf.zeros((0,), tf.int32)).shape) == (0, *SHAPE)
    assert tuple(run(tf.zeros((2, 4)), tf.zeros((2,), tf.int32)).shape) == (2, *SHAPE)
