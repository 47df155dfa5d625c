"""How many steps the README's main job needs: label agreement per seed at a few budgets.

Issue 22 asks for the main job (`python -m tfgenaug.bin.train`, every default) in at most
5 minutes on a quiet 2-core machine, install included, with label agreement >= 0.95 on
each of 3 seeds. This trains the default run for each `(seed, steps)` cell, seed-major so
a partial run still compares budgets on the same seeds, and caches every finished cell as
JSON, so a rerun trains only what is missing:

    python -m benchmarks.main_job_budget --steps=1000,1250 --seeds=0,1,2
    python -m benchmarks.main_job_budget --steps=1500 --n_critic=3   # fewer critic steps

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
from tfgenaug.runs.generator_recipes import WGAN_GP_RECIPE

DEFAULT_OUT = os.path.join("benchmarks", "results", "main_job_budget")
GOAL = 0.95
GOAL_SEEDS = 3  # the goal holds for each of this many seeds
# WGANGP's own critic steps: the runs' default until 2026-12-06, so a cell without
# `n_critic` took 5. The runs' default is now `WGAN_GP_RECIPE.n_critic` (3).
TRAINER_N_CRITIC = 5


def cell_name(seed: int, steps: int, n_critic: int | None = None) -> str:
    """The cell's file stem: `steps1250_seed0` (5 critic steps), or `steps1500_critic3_seed0`."""
    critic = "" if n_critic in (None, TRAINER_N_CRITIC) else f"_critic{n_critic}"
    return f"steps{steps}{critic}_seed{seed}"


def cell_path(out_dir: str, seed: int, steps: int, n_critic: int | None = None) -> str:
    return os.path.join(out_dir, "cells", cell_name(seed, steps, n_critic) + ".json")


def run_cell(seed: int, steps: int, out_dir: str, work_dir: str,
             n_critic: int | None = None) -> dict:
    """Trains the default run at `steps` and `n_critic` (None: 5) for `seed`.

    A cached cell is read instead.
    """
    path = cell_path(out_dir, seed, steps, n_critic)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    config = runs.TrainConfig(seed=seed, steps=steps, n_critic=n_critic or TRAINER_N_CRITIC,
                              model_dir=os.path.join(work_dir, cell_name(seed, steps, n_critic)))
    start = time.perf_counter()
    report = runs.train_generator(config, verbose=0)
    cell = {"seed": seed, "steps": steps, "n_critic": n_critic,
            "label_agreement": report["label_agreement"],
            "run_seconds": time.perf_counter() - start, "finished": common.utc_now()}
    jsonio.write_json(path, cell)
    print(f"[main_job_budget] {cell_name(seed, steps, n_critic)}: agreement "
          f"{cell['label_agreement']:.4f}, run {cell['run_seconds']:.0f} s", flush=True)
    return cell


def _budget(cell: dict) -> tuple[int, int]:
    """`(steps, critic steps)` of a cell, 5 filled in where it has none."""
    return cell["steps"], cell.get("n_critic") or TRAINER_N_CRITIC


def _critic(cell: dict) -> str:
    """The cell's critic steps as the table shows them, the runs' default marked."""
    critic = _budget(cell)[1]
    return f"{critic} (default)" if critic == WGAN_GP_RECIPE.n_critic else str(critic)


def write_table(out_dir: str, cells: list[dict], machine: str,
                command: str = "python -m benchmarks.main_job_budget") -> str:
    lines = [
        "# The main job's budget: label agreement per seed",
        "",
        f"Last command: `{command}` (the table holds every budget cached in this directory, "
        f"from any command). {machine}",
        f"Every other setting is the train binary's default. Goal: agreement >= {GOAL} on "
        "each seed. Seconds are one-off (other work may have shared the machine): compare "
        "budgets only within this table.",
        "",
        "| steps | critic steps | seed | label agreement | run seconds |",
        "|---|---|---|---|---|",
    ]
    for cell in sorted(cells, key=lambda c: (*_budget(c), c["seed"])):
        lines.append(f"| {cell['steps']} | {_critic(cell)} | {cell['seed']} | "
                     f"{cell['label_agreement']:.4f} | {cell['run_seconds']:.0f} |")
    lines += ["", "| steps | critic steps | seeds | worst agreement | every seed >= goal |",
              "|---|---|---|---|---|"]
    for key in sorted({_budget(c) for c in cells}):
        group = [c for c in cells if _budget(c) == key]
        values = [c["label_agreement"] for c in group]
        if min(values) < GOAL:
            met = "no"
        elif len(values) < GOAL_SEEDS:
            met = f"so far ({len(values)} of {GOAL_SEEDS} seeds)"
        else:
            met = "yes"
        lines.append(f"| {key[0]} | {_critic(group[0])} | {len(values)} | {min(values):.4f} | "
                     f"{met} |")
    path = os.path.join(out_dir, "main_job_budget.md")
    common.write_markdown(path, "\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", default="1000,1250", help="comma-separated budgets")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--n_critic", type=int, default=None,
                        help="critic steps per generator step (default: 5, WGANGP's own)")
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    parser.add_argument("--work_dir", default=os.path.join("runs", "main_job_budget"))
    args = parser.parse_args(argv)
    budgets = [int(s) for s in args.steps.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        for steps in budgets:
            run_cell(seed, steps, args.out_dir, args.work_dir, args.n_critic)
    cells = common.json_records(os.path.join(args.out_dir, "cells"))  # every budget cached
    path = write_table(args.out_dir, cells, common.cached_table_machine_line(cells),
                       common.command_line("benchmarks.main_job_budget", argv))
    print(f"[main_job_budget] table: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
