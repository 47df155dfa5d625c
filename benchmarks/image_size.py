"""What image size costs: the default WGAN-GP on digits at native 8x8 and upsampled 28x28.

The train binary's default run (`tfgenaug.runs.train_generator` with `TrainConfig()`'s
trainer, widths, batch, steps and judge) at each `--sizes` image side, same steps and
seeds; each cell records the label agreement (a classifier trained on the real train
pool at that size, scored on generated samples) and the wall time. Sizes are compared
paired by seed, with a 95 % t interval of the difference (a mean inside the noise is a
tie). Cells are cached as JSON under `<out_dir>/cells/`, so an interrupted run resumes;
the report `<out_dir>/image_size.md` is rewritten from the cache at the end.

Usage:
    python -m benchmarks.image_size                       # sizes 8, 28; seeds 0-2
    python -m benchmarks.image_size --quick --out_dir=/tmp/size   # smoke run
"""

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import common  # noqa: E402
from benchmarks import efficacy_report  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug import runs  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "image_size")
DEFAULT_WORK = os.path.join(tempfile.gettempdir(), "tfgenaug_image_size")
SIZES = (8, 28)
SEEDS = (0, 1, 2)
QUICK = {"steps": 4, "checkpoint_every": 4, "width": 4, "critic_width": 4, "noise_dim": 8,
         "batch_size": 16, "judge_epochs": 1, "agreement_per_class": 4, "jit_compile": False}


def cell_path(out_dir: str, size: int, seed: int) -> str:
    """Where the cell of `(size, seed)` is cached."""
    return os.path.join(out_dir, "cells", f"size{size}_seed{seed}.json")


def run_cell(size: int, seed: int, out_dir: str, work_dir: str, quick: bool) -> dict:
    """Trains one run (or reads its cached cell) and returns the cell.

    The run's directory is under `work_dir`: a run killed half-way resumes from its
    checkpoint (its time then counts only the resumed part, and the cell says so).
    """
    path = cell_path(out_dir, size, seed)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    model_dir = os.path.join(work_dir, f"size{size}_seed{seed}")
    resumed = os.path.exists(os.path.join(model_dir, "checkpoints"))
    # 5 critic steps: the default when the committed cells were trained (3 since 2026-12-06).
    overrides = QUICK if quick else {"n_critic": 5}
    config = runs.TrainConfig(image_size=size, seed=seed, model_dir=model_dir, **overrides)
    start = time.perf_counter()
    metrics = runs.train_generator(config)
    seconds = time.perf_counter() - start
    cell = {"size": size, "seed": seed, "label_agreement": float(metrics["label_agreement"]),
            "seconds": seconds, "resumed": resumed, "steps": config.steps,
            "machine": common.machine_line()}
    jsonio.write_json(path, cell)
    print(f"[image_size] size {size} seed {seed}: agreement {cell['label_agreement']:.4f} "
          f"in {seconds:.0f} s", flush=True)
    return cell


def load_cells(out_dir: str) -> dict[int, dict[int, dict]]:
    """`{size: {seed: cell}}` of every cached cell."""
    cells: dict[int, dict[int, dict]] = {}
    for cell in common.json_records(os.path.join(out_dir, "cells")):
        cells.setdefault(cell["size"], {})[cell["seed"]] = cell
    return cells


def report_markdown(cells: dict[int, dict[int, dict]], sizes, command: str) -> str:
    """The table of label agreement and time per size, and the paired differences."""
    lines = ["# Label agreement by image size (default WGAN-GP, digits)", "",
             f"Command: `{command}`", "",
             "| size | seeds | label agreement (mean ± sd) | per seed | time per run (s) |",
             "|---|---|---|---|---|"]
    for size in sizes:
        runs_of = cells.get(size, {})
        if not runs_of:
            lines.append(f"| {size}x{size} | 0 | not run | | |")
            continue
        agreement = [runs_of[s]["label_agreement"] for s in sorted(runs_of)]
        mean, sd = efficacy_report.mean_sd(agreement)
        seconds = [runs_of[s]["seconds"] for s in sorted(runs_of)]
        lines.append(f"| {size}x{size} | {len(agreement)} | {mean:.3f} ± {sd:.3f} | "
                     f"{', '.join(f'{a:.3f}' for a in agreement)} | "
                     f"{common.format_spread(seconds, digits=0)} |")
    base = sizes[0]
    for size in sizes[1:]:
        paired = efficacy_report.paired_difference(cells.get(size, {}), cells.get(base, {}),
                                                   "label_agreement")
        if paired is None or paired[2] < 2:
            lines += ["", f"{size} − {base}: fewer than 2 paired seeds, no interval yet."]
            continue
        mean, sd, n = paired
        low, high = efficacy_report.confidence_interval(mean, sd, n)
        verdict = "a tie" if low <= 0 <= high else ("higher" if low > 0 else "lower")
        lines += ["", f"{size}x{size} − {base}x{base}, paired by seed (n={n}): "
                      f"{mean:+.3f}, 95 % CI [{low:+.3f}, {high:+.3f}]: {verdict}."]
    machines = sorted({cell["machine"].rsplit(",", 1)[0] for runs_of in cells.values()
                       for cell in runs_of.values()})
    lines += ["", "Machines (times are one machine's, on a day of its speed): "
              + "; ".join(machines), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, tiny runs")
    parser.add_argument("--sizes", default=None, help=f"image sides (default {SIZES})")
    parser.add_argument("--seeds", default=None, help=f"seeds (default {SEEDS})")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cells and the report")
    parser.add_argument("--work_dir", default=DEFAULT_WORK, help="the runs' directories")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
        seeds = ([int(s) for s in args.seeds.split(",")] if args.seeds
                 else [0] if args.quick else list(SEEDS))
    except ValueError:
        parser.error(f"--sizes and --seeds must be comma-separated ints; got {args.sizes!r}, "
                     f"{args.seeds!r}")
    for size in sizes:
        if size < 8:
            parser.error(f"--sizes must be image sides >= 8; got {size}")
    for seed in seeds:  # seed-major: every size of a seed before the next seed
        for size in sizes:
            run_cell(size, seed, args.out_dir, args.work_dir, args.quick)
    command = common.command_line("benchmarks.image_size", argv)
    common.write_markdown(os.path.join(args.out_dir, "image_size.md"),
                          report_markdown(load_cells(args.out_dir), sizes, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
