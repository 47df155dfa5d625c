"""Test set-up: quiet TensorFlow and two logical CPU devices for MirroredStrategy tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
if tf.config.get_logical_device_configuration(_cpu) is None:
    # Must run before anything initialises the devices (listing logical devices does).
    tf.config.set_logical_device_configuration(
        _cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
assert len(tf.config.list_logical_devices("CPU")) == 2, "tests need two logical CPU devices"

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mirrored_strategy() -> tf.distribute.MirroredStrategy:
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Two strategies in one process hand out the same collective instance keys, and their
    all-reduces then abort with shape mismatches; tests share this one.
    """
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
