"""Every Keras `fit` leaves its step graph alive: TensorFlow's custom-gradient registry.

Found on 2026-12-07 while profiling the test suite's memory (a worker at 11.7 GB): each
traced `tf.custom_gradient` registers its gradient function in TensorFlow's global
gradient registry under "CustomGradient-<uid>" and never removes it, and the function's
closure holds tensors of the graph being traced. Keras' optimizers trace one on every
update (`ReplicaContext.all_reduce` of the gradients runs even on one device, and wraps
itself in `custom_gradient`), so each `fit` or `train_on_batch` of a new model keeps its
whole `one_step_on_data` graph for the life of the process; `evaluate` and `predict` do
not; `keras.backend.clear_session()` does not free it. This is the repeated-`fit` leak
of tf-keras#286 and tensorflow#61791, here pinned to its holder.

This reproduces it with plain Keras (no tfgenaug): each variant runs in a new process,
builds, fits and deletes `--fits` small models, collects garbage, and records after each
fit the live `FuncGraph`s, the registry's custom entries and the resident memory. The
`released` variant drops the registry's custom entries after each fit (what
`tests/conftest.py` does after each test):

    python -m benchmarks.custom_gradient_leak

Each finished variant is cached as JSON under `--out_dir/cells`.
"""

import argparse
import gc
import os
import sys

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join("benchmarks", "results", "custom_gradient_leak")
VARIANTS = ("kept", "released")
CUSTOM_PREFIX = "CustomGradient-"


def _registry() -> dict:
    from tensorflow.python.framework import ops  # the gradient registry is not public

    return ops._gradient_registry._registry


def custom_gradient_entries() -> int:
    """How many `tf.custom_gradient` registrations TensorFlow's registry holds."""
    return sum(name.startswith(CUSTOM_PREFIX) for name in _registry())


def release_custom_gradients() -> int:
    """Drops every `tf.custom_gradient` registration; returns how many there were.

    Safe once no graph traced so far will be differentiated again: the entries are read
    only while a graph containing the custom gradient is differentiated (a later lookup
    raises `LookupError` naming the entry).
    """
    registered = _registry()
    names = [name for name in registered if name.startswith(CUSTOM_PREFIX)]
    for name in names:
        del registered[name]
    return len(names)


def live_func_graphs() -> int:
    """How many traced graphs (`FuncGraph`s) are alive."""
    from tensorflow.python.framework import func_graph

    return sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())


def resident_mib() -> float:
    """This process's resident memory in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(fits: int, release: bool) -> list[dict]:
    """Fits `fits` new small Keras models one after another; one record after each.

    Returns:
        Per fit: live `FuncGraph`s, custom-gradient registry entries and resident MiB,
        measured after the model is deleted (and the registry released if `release`) and
        garbage is collected.
    """
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(64, 16, 16, 1)).astype("float32")
    labels = rng.integers(0, 3, 64)
    records = []
    for _ in range(fits):
        model = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(8, 3),
                                  keras.layers.Flatten(), keras.layers.Dense(3)])
        model.compile(optimizer="adam", jit_compile=False,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
        del model
        if release:
            release_custom_gradients()
        gc.collect()
        records.append({"func_graphs": live_func_graphs(),
                        "custom_gradients": custom_gradient_entries(),
                        "resident_mib": resident_mib()})
    return records


def _measure_in_new_process(fits: int, release: bool) -> list[dict]:
    return common.call_in_new_process("custom_gradient_leak", "measure", fits, release,
                                      timeout=1800)


def run_variant(out_dir: str, variant: str, fits: int) -> None:
    """Measures `variant` in a new process unless its cell is cached."""
    path = os.path.join(out_dir, "cells", f"{variant}.json")
    if os.path.exists(path):
        return
    records = _measure_in_new_process(fits, release=variant == "released")
    jsonio.write_json(path, {"variant": variant, "fits": fits, "records": records,
                             "finished": common.utc_now()})


def report(cells: list[dict], command: str) -> str:
    rows = ["| variant | fits | live FuncGraphs after the first fit / the last | custom "
            "gradients registered after the last | resident MiB after the first / the last "
            "| MiB per fit after the first |", "|---|---|---|---|---|---|"]
    for cell in sorted(cells, key=lambda c: VARIANTS.index(c["variant"])):
        first, last = cell["records"][0], cell["records"][-1]
        per_fit = (last["resident_mib"] - first["resident_mib"]) / max(cell["fits"] - 1, 1)
        rows.append(f"| {cell['variant']} | {cell['fits']} | {first['func_graphs']} / "
                    f"{last['func_graphs']} | {last['custom_gradients']} | "
                    f"{first['resident_mib']:.0f} / {last['resident_mib']:.0f} | "
                    f"{per_fit:.1f} |")
    return "\n".join([
        "# Keras `fit` and TensorFlow's custom-gradient registry",
        "",
        f"Command: `{command}`. {common.cached_table_machine_line(cells)}",
        "",
        "Each variant is a new process fitting new small Keras models (a convolution and a "
        "dense layer, Adam, one epoch of 4 batches of 16), deleting each and collecting "
        "garbage; `released` also drops the registry's `CustomGradient-*` entries after "
        "each fit.",
        "",
        *rows,
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=30)
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.fits < 2:
        parser.error(f"--fits must be >= 2; got {args.fits}")
    for variant in VARIANTS:
        run_variant(args.out_dir, variant, args.fits)
    common.write_cells_report(args.out_dir, "benchmarks.custom_gradient_leak", report, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
