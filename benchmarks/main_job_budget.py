"""How many steps the README's main job needs: label agreement per seed at a few budgets.

Issue 22 asks for the main job (`python -m tfgenaug.bin.train`, every default) in at most
5 minutes on a quiet 2-core machine, install included, with label agreement >= 0.95 on
each of 3 seeds. This trains the default run for each `(seed, steps)` cell, seed-major so
a partial run still compares budgets on the same seeds, and caches every finished cell as
JSON, so a rerun trains only what is missing:

    python -m benchmarks.main_job_budget --steps=1000,1250 --seeds=0,1,2

The table (`benchmarks/results/main_job_budget/main_job_budget.md`) lists each cell's
label agreement, its training time and the whole run's time. The times are one-off and
only comparable within the run that made them (the machines vary 2-3x between days).
"""

import argparse
import json
import os
import sys
import time

from benchmarks import common
from tfgenaug import jsonio
from tfgenaug import runs

DEFAULT_OUT = os.path.join("benchmarks", "results", "main_job_budget")
GOAL = 0.95


def cell_path(out_dir: str, seed: int, steps: int) -> str:
    return os.path.join(out_dir, "cells", f"steps{steps}_seed{seed}.json")


def run_cell(seed: int, steps: int, out_dir: str, work_dir: str) -> dict:
    """Trains the default run at `steps` for `seed` unless its cell is cached."""
    path = cell_path(out_dir, seed, steps)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    config = runs.TrainConfig(seed=seed, steps=steps,
                              model_dir=os.path.join(work_dir, f"steps{steps}_seed{seed}"))
    start = time.perf_counter()
    report = runs.train_generator(config, verbose=0)
    cell = {"seed": seed, "steps": steps, "label_agreement": report["label_agreement"],
            "run_seconds": time.perf_counter() - start, "finished": common.utc_now()}
    jsonio.write_json(path, cell)
    print(f"[main_job_budget] steps {steps} seed {seed}: agreement "
          f"{cell['label_agreement']:.4f}, run {cell['run_seconds']:.0f} s", flush=True)
    return cell


def write_table(out_dir: str, cells: list[dict], machine: str) -> str:
    lines = [
        "# The main job's budget: label agreement per seed",
        "",
        f"Command: `python -m benchmarks.main_job_budget`. {machine}",
        f"Every other setting is the train binary's default. Goal: agreement >= {GOAL} on "
        "each seed. Seconds are one-off (other work may have shared the machine): compare "
        "budgets only within this table.",
        "",
        "| steps | seed | label agreement | run seconds |",
        "|---|---|---|---|",
    ]
    for cell in sorted(cells, key=lambda c: (c["steps"], c["seed"])):
        lines.append(f"| {cell['steps']} | {cell['seed']} | {cell['label_agreement']:.4f} | "
                     f"{cell['run_seconds']:.0f} |")
    lines += ["", "| steps | seeds | worst agreement | every seed >= goal |", "|---|---|---|---|"]
    for steps in sorted({c["steps"] for c in cells}):
        values = [c["label_agreement"] for c in cells if c["steps"] == steps]
        lines.append(f"| {steps} | {len(values)} | {min(values):.4f} | "
                     f"{'yes' if min(values) >= GOAL else 'no'} |")
    path = os.path.join(out_dir, "main_job_budget.md")
    common.write_markdown(path, "\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", default="1000,1250", help="comma-separated budgets")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    parser.add_argument("--work_dir", default=os.path.join("runs", "main_job_budget"))
    args = parser.parse_args(argv)
    budgets = [int(s) for s in args.steps.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    cells = [run_cell(seed, steps, args.out_dir, args.work_dir)
             for seed in seeds for steps in budgets]
    machine = (f"{common.machine_line()} (table written); last cell finished "
               f"{max(c['finished'] for c in cells)}.")
    path = write_table(args.out_dir, cells, machine)
    print(f"[main_job_budget] table: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
