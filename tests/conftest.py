"""Test set-up: quiet TensorFlow, quick XLA compiles, no Grappler, two logical CPUs for
MirroredStrategy, and a periodic garbage collection that keeps tf.data iterators from
growing old and freezes what survives it."""

import gc
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# XLA:CPU compiles with LLVM's optimisations off in the tests (and in the processes they
# start, which inherit the environment). The tests' steps are tiny and run a few times, so
# compiling dominates their XLA time; the flag changes how fast the compiled code runs, not
# what it computes (no fast-math either way). `python -m benchmarks.suite_variants` (five
# XLA-heavy test files, -n 2, three rotating rounds, 2026-12-06): 0.93x (0.87-0.94) of the
# time with XLA's default level 3. A level the caller set in XLA_FLAGS is kept.
if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = " ".join(
        filter(None, [os.environ.get("XLA_FLAGS"), "--xla_backend_optimization_level=0"]))

import tensorflow as tf  # noqa: E402

_cpu = tf.config.list_physical_devices("CPU")[0]
if tf.config.get_logical_device_configuration(_cpu) is None:
    # Must run before anything initialises the devices (listing logical devices does).
    tf.config.set_logical_device_configuration(
        _cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
assert len(tf.config.list_logical_devices("CPU")) == 2, "tests need two logical CPU devices"

# Grappler, TensorFlow's graph optimizer, off in the test processes ("1": on). Every plain
# (non-XLA) tf.function the tests call is optimized once on its first call, and the tests
# call hundreds of new functions a few times each: Grappler's passes were 8 % of the
# whole suite's CPU samples (perf, 2026-12-07), a tiny WGAN-GP fit's CPU 2.06 s with them,
# 1.47 s without; on tests/trainers + tests/runs the wall time was a tie, 0.98x (0.94-1.00,
# benchmarks/results/suite_variants_gc_grappler). What the tests check is the maths of
# our graphs, which Grappler must not change; the processes they start (the binaries,
# `tests/launch.py`'s forks, the same-numbers replays) keep TensorFlow's default, so
# Grappler-optimized graphs stay covered end to end.
if os.environ.get("TFGENAUG_TESTS_GRAPPLER", "0") != "1":
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})

if os.environ.get("TFGENAUG_TESTS_DATA_AUTOTUNE") == "0":
    # Experimental, for `benchmarks/suite_variants.py`: tf.data pipelines built with
    # explicit options (Keras' own are) get autotuning off, so their iterators start no
    # autotuning thread for the collector's teardown to wait on (DESIGN.md, measured facts).
    from tensorflow.python.data.ops import options as _data_options

    _options_init = _data_options.Options.__init__

    def _options_without_autotuning(self, *args, **kwargs):
        _options_init(self, *args, **kwargs)
        self.autotune.enabled = False

    _data_options.Options.__init__ = _options_without_autotuning

import pytest  # noqa: E402

from benchmarks import custom_gradient_leak  # noqa: E402

# A full collection after a test whenever this many seconds have passed since the last
# one (0: never; Python's own schedule only). Why: tf.data iterators left in reference
# cycles (a pytest.raises traceback holding frames, Keras' closures) live until the
# collector finds them, and an autotuned iterator's destructor waits for its autotuning
# thread, whose sleep grows with the iterator's age up to a minute; now and then the wait
# runs to its end (benchmarks/iterator_teardown.py reproduces it in plain TensorFlow).
# In the suite, a test that happened to trigger the collection then sat idle for 25-60 s
# (stall_watch's gdb dumps: the main thread in RootDataset::Iterator::~Iterator, inside a
# collection). Collected young, such an iterator's wait is short.
GC_EVERY_SECONDS = float(os.environ.get("TFGENAUG_TESTS_GC_EVERY_SECONDS", "10"))
# And what survives a collection is frozen (`gc.freeze`): moved out of the collector's
# sight, so that later collections walk only what was made since ("0": never frozen).
# Why: a worker's tracked objects grow to ~1.5 million (TensorFlow's and Keras' modules,
# the graphs their caches keep), and each full collection walked them all: 0.6 s each,
# 16 s of a tests/trainers worker's 254 CPU s (gc.callbacks, 2026-12-07); frozen, 4 s,
# and tests/trainers + tests/runs took 0.90x (0.68-0.91) of the time (3 rotating rounds,
# benchmarks/results/suite_variants_gc_grappler).
# The price: a reference cycle among frozen objects that later turns to garbage is never
# freed (memory only; refcounted objects still are), so the workers' memory can grow.
GC_FREEZE = os.environ.get("TFGENAUG_TESTS_GC_FREEZE", "1") != "0"
_last_collection = time.monotonic()


def _collect() -> None:
    global _last_collection
    gc.collect()
    if GC_FREEZE:
        gc.freeze()
    _last_collection = time.monotonic()


if GC_FREEZE:
    _collect()  # TensorFlow's, Keras' and the library's modules, frozen before any test


# Every traced `tf.custom_gradient` registers its gradient function in TensorFlow's global
# gradient registry ("CustomGradient-<uid>") and never removes it, and the function's
# closure holds tensors of the graph being traced. Keras' optimizers trace one on every
# update (`ReplicaContext.all_reduce` of the gradients, even on one device), so each
# `fit` left its whole step graph alive for the rest of the process: 32 MB per tiny
# WGAN-GP fit, a tests/trainers run in one process at 10 GB, the suite's workers at
# 11.7 GB each on a 24 GiB machine (`python -m benchmarks.custom_gradient_leak` shows it
# with plain Keras). Keras' synchronized BatchNormalization (in most of our generators)
# traces them the same way. After each test the registry's custom entries are dropped
# ("0": kept):
# they are read only while a graph is differentiated, which for a test's graphs happens
# within the test. A later test differentiating a graph traced earlier would fail loudly
# (LookupError naming the entry), never silently.
RELEASE_CUSTOM_GRADIENTS = os.environ.get("TFGENAUG_TESTS_RELEASE_CUSTOM_GRADIENTS") != "0"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the test's fixtures are torn down, drops its custom gradients (before a
    collection, which would otherwise freeze its graphs for good) and collects if
    `GC_EVERY_SECONDS` passed."""
    yield
    if RELEASE_CUSTOM_GRADIENTS:
        custom_gradient_leak.release_custom_gradients()
    if GC_EVERY_SECONDS > 0 and time.monotonic() - _last_collection >= GC_EVERY_SECONDS:
        _collect()


@pytest.fixture(scope="session")
def mirrored_strategy() -> tf.distribute.MirroredStrategy:
    """One MirroredStrategy over the two logical CPUs for the whole session.

    Two strategies in one process hand out the same collective instance keys, and their
    all-reduces then abort with shape mismatches; tests share this one.
    """
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
