"""Test files timed under environment variants, interleaved: does a setting speed the suite?

Issue 22 asks for the test suite in at most 6 minutes on a quiet 2-core machine. These
machines vary 2-3x from day to day, so a suite-wide setting (an XLA flag, a thread count)
is judged by the ratio of its time to the baseline's within each round, the variants of
a round running one after another in an order that rotates each round:

    python -m benchmarks.suite_variants --rounds=3

Each variant runs `python -m pytest -q -p no:cacheprovider -n 2 <files>` with its
environment on top of the caller's (`{cell_dir}` in a value: a directory new to that
run). Each finished run is cached as JSON (a rerun times
only what is missing; a variant whose tests fail is an error, not a time) and the table
(`benchmarks/results/suite_variants/suite_variants.md`) gives each variant's median wall
time and its ratio to the baseline.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join("benchmarks", "results", "suite_variants")
# What the suite ran with until 2026-12-06: XLA:CPU's own default LLVM level.
BASELINE = "xla_o3"
# name -> the environment the variant sets (on top of the caller's).
VARIANTS: dict[str, dict[str, str]] = {
    "xla_o3": {"XLA_FLAGS": "--xla_backend_optimization_level=3"},
    # tests/conftest.py's setting since 2026-12-06.
    "xla_o0": {"XLA_FLAGS": "--xla_backend_optimization_level=0"},
    # tests/conftest.py's experimental switch: tf.data autotuning off where options are set.
    "xla_o0_data_autotune_off": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                                 "TFGENAUG_TESTS_DATA_AUTOTUNE": "0"},
    # One TensorFlow thread per pool in each process (two workers on two cores).
    "one_thread": {"XLA_FLAGS": "--xla_backend_optimization_level=3",
                   "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
    # The same with tests/conftest.py's XLA level (the baseline since 2026-12-06).
    "one_thread_o0": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                      "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
    # XLA's persistent compilation cache, in a directory new to each run ({cell_dir}):
    # do the tests compile the same programs more than once?
    "xla_o0_compile_cache": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                             "TF_XLA_FLAGS": "--tf_xla_persistent_cache_directory={cell_dir}"},
    # tests/conftest.py's periodic collection (its default since 2026-12-07), and without
    # it: Python's own schedule only, under which old tf.data iterators stalled tests.
    "xla_o0_gc_every_10s": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                            "TFGENAUG_TESTS_GC_EVERY_SECONDS": "10"},
    "xla_o0_gc_off": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                      "TFGENAUG_TESTS_GC_EVERY_SECONDS": "0"},
    # tests/conftest.py freezes what survives its collections (its default since
    # 2026-12-07); without: every collection walks every object again.
    "xla_o0_gc_freeze": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                         "TFGENAUG_TESTS_GC_FREEZE": "1"},
    "xla_o0_gc_no_freeze": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                            "TFGENAUG_TESTS_GC_FREEZE": "0"},
    # tests/conftest.py's default since 2026-12-07 (frozen collections, Grappler off in the
    # test processes), the same with Grappler on, and what the suite ran with before both.
    "frozen_no_grappler": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                           "TFGENAUG_TESTS_GC_FREEZE": "1", "TFGENAUG_TESTS_GRAPPLER": "0"},
    "frozen_grappler": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                        "TFGENAUG_TESTS_GC_FREEZE": "1", "TFGENAUG_TESTS_GRAPPLER": "1"},
    "unfrozen_grappler": {"XLA_FLAGS": "--xla_backend_optimization_level=0",
                          "TFGENAUG_TESTS_GC_FREEZE": "0", "TFGENAUG_TESTS_GRAPPLER": "1"},
}
# The test files with the most XLA compiles (suite_profile, 2026-12-06).
DEFAULT_FILES = ("tests/trainers/test_dfg.py", "tests/trainers/test_dada.py",
                 "tests/trainers/test_base.py", "tests/trainers/test_compile_path.py",
                 "tests/trainers/test_any_size.py")
SUMMARY = re.compile(r"^=* ?(\d+ passed.*?) ?=*$", re.MULTILINE)


def pytest_command(files: list[str], workers: int) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n",
            str(workers), *files]


def run_cell(round_index: int, variant: str, files: list[str], workers: int,
             out_dir: str) -> dict:
    """Runs `files` under `variant` once; a cached cell (of the same files) is read.

    Raises:
        ValueError: the cached cell timed other files or workers (use another `out_dir`).
        RuntimeError: a test failed under the variant.
    """
    path = common.round_cell_path(out_dir, round_index, variant)
    if os.path.exists(path):
        with open(path) as f:
            cell = json.load(f)
        if cell["files"] != files or cell["workers"] != workers:
            raise ValueError(f"{path} timed files={cell['files']} with {cell['workers']} "
                             f"workers, not files={files} with {workers}; use another "
                             "--out_dir")
        return cell
    command = pytest_command(files, workers)
    load = common.load_average()  # before the run: the other work on the machine
    with tempfile.TemporaryDirectory(prefix="suite_variants_cell_") as cell_dir:
        env = {name: value.replace("{cell_dir}", cell_dir)
               for name, value in VARIANTS[variant].items()}
        start = time.perf_counter()
        finished = subprocess.run(command, capture_output=True, text=True,
                                  env={**os.environ, **env})
        seconds = time.perf_counter() - start
    summary = SUMMARY.findall(finished.stdout)
    if finished.returncode != 0 or not summary:
        raise RuntimeError(f"{variant}: {' '.join(command)} failed ({finished.returncode}):\n"
                           f"{finished.stdout[-3000:]}")
    cell = {"round": round_index, "variant": variant, "env": VARIANTS[variant],
            "files": files, "workers": workers, "wall_seconds": seconds,
            "pytest": summary[-1], "load_average_before": load,
            "finished": common.utc_now()}
    jsonio.write_json(path, cell)
    print(f"[suite_variants] round {round_index} {variant}: {seconds:.0f} s "
          f"({summary[-1]})", flush=True)
    return cell


def write_table(out_dir: str, cells: list[dict], machine: str, baseline: str = BASELINE) -> str:
    """The per-run table and, per variant, the median time and ratio to `baseline`."""
    files = cells[0]["files"]
    lines = [
        "# Test files timed under environment variants, interleaved",
        "",
        f"Command: `python -m benchmarks.suite_variants`. {machine}",
        f"Each run is `pytest -n {cells[0]['workers']}` over {len(files)} files "
        f"({', '.join(f'`{f}`' for f in files)}) with the variant's environment. The "
        "variants of a round run one after another in an order that rotates each round; a "
        f"ratio is the variant's wall time over {baseline}'s in the same round.",
        "",
        "| round | variant | environment | wall s | pytest | load before |",
        "|---|---|---|---|---|---|",
    ]
    for cell in sorted(cells, key=lambda c: (c["round"], c["finished"])):
        env = " ".join(f"{k}={v}" for k, v in cell["env"].items())
        load = cell["load_average_before"]
        lines.append(f"| {cell['round']} | {cell['variant']} | `{env}` | "
                     f"{cell['wall_seconds']:.0f} | {cell['pytest']} | "
                     f"{'-' if load is None else f'{load:.1f}'} |")
    lines += ["", f"| variant | rounds | median wall s (min-max) | ratio to {baseline}, "
              "median (min-max) |", "|---|---|---|---|"]
    for variant, times, ratios in common.paired_by_round(cells, baseline):
        ratio = common.format_spread(ratios, digits=2, unit="x") if ratios else "-"
        lines.append(f"| {variant} | {len(times)} | {common.format_spread(times, digits=0)} "
                     f"| {ratio} |")
    path = os.path.join(out_dir, "suite_variants.md")
    common.write_markdown(path, "\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default=f"{BASELINE},xla_o0",
                        help=f"comma-separated, from {sorted(VARIANTS)}")
    parser.add_argument("--baseline", default=BASELINE,
                        help="the variant the others are divided by (one of --variants)")
    parser.add_argument("--files", default=",".join(DEFAULT_FILES),
                        help="comma-separated test files or directories")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown or args.baseline not in variants:
        parser.error(f"--variants must name the baseline {args.baseline!r} and others from "
                     f"{sorted(VARIANTS)}; got {args.variants!r}")
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1; got {args.rounds}")
    if args.workers < 1:
        parser.error(f"--workers must be >= 1; got {args.workers}")
    files = args.files.split(",")
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        parser.error(f"--files must name existing test files or directories; got {missing}")
    for round_index in range(args.rounds):
        for variant in common.round_order(variants, round_index):
            run_cell(round_index, variant, files, args.workers, args.out_dir)
    cells = common.json_records(os.path.join(args.out_dir, "cells"))
    path = write_table(args.out_dir, cells, common.cached_table_machine_line(cells),
                       args.baseline)
    print(f"[suite_variants] table: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
