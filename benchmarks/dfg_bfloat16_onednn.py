"""DFG under `mixed_bfloat16` with and without TensorFlow's oneDNN kernels.

Backs the README's warning ("Mixed precision"): on the project's 2-core Xeons with
AVX512-BF16 and AMX, a small DFG trained under `keras.config.set_dtype_policy(
"mixed_bfloat16")` turned its generator's weights non-finite within two steps for most
seeds with oneDNN on (TensorFlow's CPU default), and never with `TF_ENABLE_ONEDNN_OPTS=0`.

Each variant (oneDNN on or off, Keras' graph step or eager) runs in a new interpreter,
because TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` while it is imported. In it, for each
seed, a new small DFG (LeNet-5 split, widths 8 / 4, 8x8x1 images, 3 classes, batch 16)
trains `--steps` steps on uniform noise images; the cell records, per seed, the first
step whose losses are not all finite and whether every generator weight is finite at the
end:

    python -m benchmarks.dfg_bfloat16_onednn

Each finished variant is cached as JSON under `--out_dir/cells`; `--seeds` and `--steps`
are part of a cell, so other values measure again.
"""

import argparse
import json
import os
import sys

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join("benchmarks", "results", "dfg_bfloat16_onednn")
VARIANTS = ("onednn_graph", "onednn_eager", "no_onednn_graph", "no_onednn_eager")
IMAGE_SHAPE = (8, 8, 1)
NUM_CLASSES = 3
BATCH = 16


def _small_dfg():
    from tfgenaug.networks.dfg_networks import lenet5_split
    from tfgenaug.trainers import DFG

    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    return DFG(extractor, classifier, NUM_CLASSES, minority_classes=[0], noise_dim=8,
               generator_width=8, critic_width=4, n_critic=2, classifier_every=2)


def train_seed(seed: int, steps: int, eager: bool, policy: str = "mixed_bfloat16") -> dict:
    """Trains one small DFG under the Keras dtype `policy` for `steps` steps from `seed`.

    Returns:
        `{"seed", "first_non_finite_step" (None if every step's losses were finite),
        "generator_finite"}`.
    """
    import keras
    import numpy as np

    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (steps * BATCH, *IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, steps * BATCH).astype("int32")
    trainer = _small_dfg()
    trainer.compile(jit_compile=False, run_eagerly=eager)
    first_non_finite = None
    for step in range(steps):
        batch = slice(step * BATCH, (step + 1) * BATCH)
        logs = trainer.train_on_batch(images[batch], labels[batch], return_dict=True)
        if first_non_finite is None and not all(np.isfinite(float(v)) for v in logs.values()):
            first_non_finite = step
    generator_finite = all(np.isfinite(w.numpy()).all() for w in trainer.generator.weights)
    return {"seed": seed, "first_non_finite_step": first_non_finite,
            "generator_finite": bool(generator_finite)}


def measure(seeds: int, steps: int, eager: bool) -> dict:
    """Every seed's `train_seed` in this process; also whether oneDNN is on in it."""
    from tensorflow.python.util import _pywrap_util_port  # oneDNN's switch: not public

    return {"onednn": bool(_pywrap_util_port.IsMklEnabled()),
            "seeds": [train_seed(seed, steps, eager) for seed in range(seeds)]}


def _measure_in_new_process(variant: str, seeds: int, steps: int) -> dict:
    env = {"TF_ENABLE_ONEDNN_OPTS": "0" if variant.startswith("no_onednn") else "1"}
    return common.call_in_new_process("dfg_bfloat16_onednn", "measure", seeds, steps,
                                      variant.endswith("eager"), env=env, timeout=3600)


def run_variant(out_dir: str, variant: str, seeds: int, steps: int) -> None:
    """Measures `variant` in a new interpreter unless a cell with these settings is cached."""
    path = os.path.join(out_dir, "cells", f"{variant}.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            cached = json.load(f)
        if (cached["seeds_run"], cached["steps"]) == (seeds, steps):
            return
    result = _measure_in_new_process(variant, seeds, steps)
    jsonio.write_json(path, {"variant": variant, "seeds_run": seeds, "steps": steps,
                             **result, "cpu_flags": bfloat16_cpu_flags(),
                             "finished": common.utc_now()})


def bfloat16_cpu_flags() -> list[str]:
    """The CPU's bfloat16-related feature flags (Linux `/proc/cpuinfo`), e.g. `amx_bf16`."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
    except OSError:
        return []
    return sorted({flag for flag in flags if "bf16" in flag or flag.startswith("amx")})


def report(cells: list[dict], command: str) -> str:
    rows = ["| variant | oneDNN on in the process | seeds non-finite within the steps | "
            "first non-finite step per seed | generator finite at the end |",
            "|---|---|---|---|---|"]
    for cell in sorted(cells, key=lambda c: VARIANTS.index(c["variant"])):
        seeds = cell["seeds"]
        bad = [s for s in seeds if s["first_non_finite_step"] is not None]
        firsts = ", ".join("-" if s["first_non_finite_step"] is None
                           else str(s["first_non_finite_step"]) for s in seeds)
        finite = sum(s["generator_finite"] for s in seeds)
        rows.append(f"| {cell['variant']} | {cell['onednn']} | {len(bad)} of {len(seeds)} "
                    f"| {firsts} | {finite} of {len(seeds)} |")
    flags = sorted({flag for cell in cells for flag in cell.get("cpu_flags", [])})
    return "\n".join([
        "# DFG under `mixed_bfloat16`, with and without oneDNN",
        "",
        f"Command: `{command}`. {common.cached_table_machine_line(cells)} "
        f"CPU bfloat16 flags: {', '.join(flags) or 'none'}.",
        "",
        f"Each variant is a new interpreter (`TF_ENABLE_ONEDNN_OPTS` 1 or 0) training a new "
        f"small DFG per seed (LeNet-5 split, generator width 8, critic width 4, 8x8x1 "
        f"uniform-noise images, 3 classes, batch {BATCH}, `train_on_batch`) for "
        f"{cells[0]['steps'] if cells else '?'} steps; steps count from 0, `-` = every "
        "step's losses finite.",
        "",
        *rows,
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    common.require_positive(parser, args, "seeds", "steps")
    for variant in common.names_from_flag(parser, "variants", args.variants, VARIANTS):
        run_variant(args.out_dir, variant, args.seeds, args.steps)
    common.write_cells_report(args.out_dir, "benchmarks.dfg_bfloat16_onednn", report, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
