"""The README's main job with 5 and 3 critic steps, timed interleaved: how much faster is 3?

Issue 22 asks for the main job (`python -m tfgenaug.bin.train`) in at most 5 minutes on a
quiet 2-core machine with label agreement >= 0.95 on each of 3 seeds.
`benchmarks/main_job_budget.py` found the budgets that keep the agreement; this times the
whole command of each candidate (process start, data, compile-path probe, training,
judging, sample grid) against 5 critic steps, interleaved in rounds whose order alternates,
because these machines vary 2-3x from day to day and a lone time says nothing:

    python -m benchmarks.main_job_timing --rounds=3

Each finished run is cached as JSON (a rerun times only what is missing) and the table
(`benchmarks/results/main_job_timing/main_job_timing.md`) gives each variant's median
wall time and its ratio to 5 critic steps within each round (median, min-max).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join("benchmarks", "results", "main_job_timing")
# 5 critic steps per generator step was WGAN-GP's default until this benchmark timed 3
# (2026-12-06); both variants pass the flag, so the cells stay true whatever the default.
BASELINE = "critic5"
# name -> the train binary's flags beyond its defaults.
VARIANTS: dict[str, tuple[str, ...]] = {
    "critic5": ("--n_critic=5",),
    "critic3": ("--n_critic=3",),
}
TIME_LINE = re.compile(r"Trained (\d+) steps in .*?: ([\d.]+) steps/s")
PROBE = re.compile(r"compile-path probe (\d+) s")


def parse_output(text: str) -> dict:
    """The steps/s and probe seconds the train binary printed at its end (None if absent)."""
    line = TIME_LINE.search(text)
    probe = PROBE.search(text)
    return {"steps_per_second": float(line.group(2)) if line else None,
            "probe_seconds": float(probe.group(1)) if probe else 0.0}


def run_cell(round_index: int, variant: str, out_dir: str, work_dir: str) -> dict:
    """Runs the main job as `variant` once from an empty model dir; a cached cell is read."""
    path = common.round_cell_path(out_dir, round_index, variant)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    model_dir = os.path.join(work_dir, f"round{round_index}_{variant}")
    shutil.rmtree(model_dir, ignore_errors=True)  # a killed run must not resume: time it whole
    command = [sys.executable, "-m", "tfgenaug.bin.train", f"--model_dir={model_dir}",
               *VARIANTS[variant]]
    load = common.load_average()  # before the run: the other work on the machine
    start = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({finished.returncode}):\n"
                           f"{finished.stderr[-3000:]}")
    with open(os.path.join(model_dir, "metrics.json")) as f:
        metrics = json.load(f)
    cell = {"round": round_index, "variant": variant, "flags": list(VARIANTS[variant]),
            "wall_seconds": seconds, "label_agreement": metrics["label_agreement"],
            **parse_output(finished.stdout + finished.stderr),
            "load_average_before": load, "finished": common.utc_now()}
    jsonio.write_json(path, cell)
    print(f"[main_job_timing] round {round_index} {variant}: {seconds:.0f} s, agreement "
          f"{cell['label_agreement']:.4f}", flush=True)
    return cell


def minutes(seconds: float) -> str:
    whole, rest = divmod(round(seconds), 60)
    return f"{whole} min {rest:02d} s"


def write_table(out_dir: str, cells: list[dict], machine: str) -> str:
    """The per-run table and, per variant, the median time and ratio to the baseline."""
    lines = [
        "# The main job, timed interleaved: 5 critic steps against 3",
        "",
        f"Command: `python -m benchmarks.main_job_timing`. {machine}",
        "Each run is the whole `python -m tfgenaug.bin.train` process (seed 0, every other "
        "flag its default) from an empty model dir, without the install. The variants of a "
        "round run one after another in an order that rotates each round; a ratio is the "
        f"variant's wall time over {BASELINE}'s in the same round.",
        "",
        "| round | variant | flags | wall time | steps/s | probe s | label agreement "
        "| load before |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in sorted(cells, key=lambda c: (c["round"], c["finished"])):
        rate = cell["steps_per_second"]
        load = cell["load_average_before"]
        lines.append(
            f"| {cell['round']} | {cell['variant']} | {' '.join(cell['flags']) or '-'} | "
            f"{minutes(cell['wall_seconds'])} | {'-' if rate is None else f'{rate:.2f}'} | "
            f"{cell['probe_seconds']:.0f} | {cell['label_agreement']:.4f} | "
            f"{'-' if load is None else f'{load:.1f}'} |")
    lines += ["", f"| variant | rounds | median wall time (min-max) | ratio to {BASELINE}, "
              "median (min-max) |", "|---|---|---|---|"]
    for variant, times, ratios in common.paired_by_round(cells, BASELINE):
        median, low, high = common.spread(times)
        ratio = common.format_spread(ratios, digits=2, unit="x") if ratios else "-"
        lines.append(f"| {variant} | {len(times)} | {minutes(median)} "
                     f"({minutes(low)}-{minutes(high)}) | {ratio} |")
    path = os.path.join(out_dir, "main_job_timing.md")
    common.write_markdown(path, "\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="critic5,critic3",
                        help=f"comma-separated, from {sorted(VARIANTS)}")
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    parser.add_argument("--work_dir", default=os.path.join("runs", "main_job_timing"))
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown or BASELINE not in variants:
        parser.error(f"--variants must name {BASELINE!r} and others from {sorted(VARIANTS)}; "
                     f"got {args.variants!r}")
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1; got {args.rounds}")
    for round_index in range(args.rounds):
        for variant in common.round_order(variants, round_index):
            run_cell(round_index, variant, args.out_dir, args.work_dir)
    cells = common.json_records(os.path.join(args.out_dir, "cells"))
    path = write_table(args.out_dir, cells, common.cached_table_machine_line(cells))
    print(f"[main_job_timing] table: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
