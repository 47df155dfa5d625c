"""DADA on CIFAR-10 at n = 50 ... 1000 images per class: the paper's comparison (issue 6).

Zhang et al. 2018 (DADA, arXiv 1809.00981) report, on CIFAR-10 with n images per class,
the test accuracy of their classifier network trained plainly and of DADA's
discriminator trained with `--aug`:

    n            50    100   200   500   1000
    plain        .37   .44   .52   .63   .70
    DADA_aug     .46   .52   .62   .72   .79

This script reruns both rows with tfgenaug, for users who have CIFAR-10 prepared in a
TensorFlow Datasets directory (nothing is downloaded):

- `dada_aug`: `tfgenaug.runs.train_generator` with the DADA trainer at the
  reference's settings (32 px, batch 100, 200 GAN epochs of 700, full width,
  `aug` with horizontal flips); its EMA discriminator's test accuracy.
- `plain`: the same discriminator network trained as a plain classifier on the same
  images (`tfgenaug.evaluation`'s `dada_network_plain` condition, full width, Adam
  3e-4), for as many gradient steps as DADA's whole run (700 epochs).

Every finished (n, row, seed) cell is cached as JSON under `--out_dir/cells/`, so an
interrupted run resumes (DADA runs also resume from their checkpoints in
`--work_dir`). The report `<out_dir>/dada_cifar10.md` puts the measured rows next to
the paper's.

Not run on this project's machine (2 CPU cores, no CIFAR-10 on disk): the full table
is 5 x 2 cells of up to 70,000 steps of a full-width network, a GPU job. The test
suite runs `--quick` on TensorFlow Datasets' mock CIFAR-10.

Usage:
    python -m benchmarks.dada_cifar10 --data_dir=~/tensorflow_datasets
    python -m benchmarks.dada_cifar10 --data_dir=DIR --counts=50,100 --seeds=0,1
"""

import argparse
import dataclasses
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# TensorFlow (through tfgenaug) is imported where it is used, so a bad command line
# fails at once.

DEFAULT_OUT = os.path.join("benchmarks", "results", "dada_cifar10")
DEFAULT_WORK = os.path.join("runs", "dada_cifar10")
ROWS = ("plain", "dada_aug")
PAPER = {
    "plain": {50: 0.37, 100: 0.44, 200: 0.52, 500: 0.63, 1000: 0.70},
    "dada_aug": {50: 0.46, 100: 0.52, 200: 0.62, 500: 0.72, 1000: 0.79},
}


@dataclasses.dataclass(frozen=True)
class Budget:
    """The reference's settings, or tiny ones for the smoke run."""

    image_size: int
    batch_size: int
    gan_epochs: int
    epochs: int
    width_multiplier: float
    counts: tuple[int, ...]
    seeds: tuple[int, ...]


FULL = Budget(image_size=32, batch_size=100, gan_epochs=200, epochs=700, width_multiplier=1.0,
              counts=(50, 100, 200, 500, 1000), seeds=(0,))
QUICK = Budget(image_size=32, batch_size=10, gan_epochs=1, epochs=2, width_multiplier=0.05,
               counts=(2,), seeds=(0,))


def cell_path(out_dir: str, count: int, row: str, seed: int) -> str:
    """Where the cell of `(count, row, seed)` is cached."""
    return os.path.join(out_dir, "cells", f"n{count}", row, f"seed{seed}.json")


def classifier_steps(budget: Budget, count: int, num_classes: int = 10) -> int:
    """Gradient steps of DADA's whole run on `count` images per class (the plain row's)."""
    return budget.epochs * max(1, count * num_classes // budget.batch_size)


def run_dada(count: int, seed: int, budget: Budget, data_dir: str | None, work_dir: str,
             jit_compile: bool) -> float:
    """Trains DADA with `aug` on `count` images per class; its EMA D's test accuracy."""
    from tfgenaug import runs

    config = runs.TrainConfig(
        trainer="dada", dataset="cifar10", data_dir=data_dir, image_size=budget.image_size,
        count=count, batch_size=budget.batch_size, gan_epochs=budget.gan_epochs,
        epochs=budget.epochs, width_multiplier=budget.width_multiplier, aug=True,
        aug_flip=True, judge_epochs=0, seed=seed, jit_compile=jit_compile,
        model_dir=os.path.join(work_dir, f"n{count}", "dada_aug", f"seed{seed}"),
    )
    return float(runs.train_generator(config, verbose=0)["classifier_test_accuracy"])


def run_plain(count: int, seed: int, budget: Budget, data_dir: str | None) -> float:
    """DADA's D network trained plainly on the same images; its test accuracy."""
    from tfgenaug.evaluation import EvalConfig
    from tfgenaug.evaluation import evaluate_condition

    config = EvalConfig(
        condition="dada_network_plain", dataset="cifar10", data_dir=data_dir,
        image_size=budget.image_size, count=count, seed=seed,
        steps=classifier_steps(budget, count), batch_size=budget.batch_size,
        dada_width_multiplier=budget.width_multiplier,
    )
    return float(evaluate_condition(config)["accuracy"])


def run_cell(count: int, row: str, seed: int, budget: Budget, args) -> bool:
    """Runs one cell unless it is cached. Returns True if it ran."""
    from tfgenaug import jsonio

    path = cell_path(args.out_dir, count, row, seed)
    if os.path.exists(path):
        return False
    start = time.perf_counter()
    if row == "dada_aug":
        accuracy = run_dada(count, seed, budget, args.data_dir, args.work_dir,
                            not args.no_jit)
    else:
        accuracy = run_plain(count, seed, budget, args.data_dir)
    cell = {"count": count, "row": row, "seed": seed, "accuracy": accuracy,
            "seconds": time.perf_counter() - start, "budget": dataclasses.asdict(budget)}
    jsonio.write_json(path, cell)
    print(f"[dada_cifar10] n={count:<5d} {row:9s} seed {seed}: accuracy {accuracy:.4f} "
          f"({cell['seconds']:.0f} s)", flush=True)
    return True


def load_cells(out_dir: str) -> dict[tuple[int, str], list[float]]:
    """`(count, row) -> [accuracy per cached seed]`."""
    from benchmarks import common

    cells: dict[tuple[int, str], list[float]] = {}
    for cell in common.json_records(os.path.join(out_dir, "cells")):
        cells.setdefault((cell["count"], cell["row"]), []).append(cell["accuracy"])
    return cells


def report_markdown(cells, counts, command: str, quick: bool) -> str:
    """The report: measured rows (mean over seeds) next to the paper's."""
    from benchmarks import common

    def measured(count, row):
        values = cells.get((count, row))
        if not values:
            return "—"
        mean = sum(values) / len(values)
        return f"{mean:.3f} ({len(values)} seed{'s' if len(values) != 1 else ''})"

    def paper(count, row):
        value = PAPER[row].get(count)
        return f"{value:.2f}" if value is not None else "—"

    header = "| row | " + " | ".join(f"n = {c}" for c in counts) + " |"
    lines = [
        "# DADA on CIFAR-10: plain vs DADA_aug, measured vs the paper",
        "",
        f"Command: `{command}`" + (" (QUICK smoke run on mock data: the numbers are noise)"
                                   if quick else ""),
        "",
        common.machine_line(),
        "",
        "Test accuracy on CIFAR-10's test split; n images per class (seeded selection).",
        "",
        header,
        "|---|" + "---|" * len(counts),
    ]
    for row in ROWS:
        lines.append(f"| {row} (tfgenaug) | " + " | ".join(measured(c, row) for c in counts)
                     + " |")
        lines.append(f"| {row} (paper) | " + " | ".join(paper(c, row) for c in counts) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data_dir", default=None,
                        help="TensorFlow Datasets directory holding cifar10")
    parser.add_argument("--counts", default=None,
                        help="comma-separated images per class (default 50,100,200,500,1000)")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0)")
    parser.add_argument("--rows", default=None, help=f"subset of {','.join(ROWS)}")
    parser.add_argument("--quick", action="store_true", help="tiny budgets (the CI test)")
    parser.add_argument("--no_jit", action="store_true", help="DADA without XLA")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cells and the report")
    parser.add_argument("--work_dir", default=DEFAULT_WORK, help="DADA runs and checkpoints")
    parser.add_argument("--report_only", action="store_true",
                        help="rewrite the report from the cached cells, train nothing")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    try:
        counts = [int(c) for c in args.counts.split(",")] if args.counts else list(budget.counts)
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(budget.seeds)
    except ValueError:
        parser.error(f"--counts and --seeds must be comma-separated ints; got "
                     f"{args.counts!r} and {args.seeds!r}")
    if any(c < 1 for c in counts):
        parser.error(f"--counts must be positive; got {args.counts!r}")
    rows = args.rows.split(",") if args.rows else list(ROWS)
    for row in rows:
        if row not in ROWS:
            parser.error(f"--rows must be a subset of {','.join(ROWS)}; got {row!r}")
    if not args.report_only:
        for seed in seeds:
            for count in counts:
                for row in rows:
                    run_cell(count, row, seed, budget, args)
    command = "python -m benchmarks.dada_cifar10 " + " ".join(
        argv if argv is not None else sys.argv[1:])
    path = os.path.join(args.out_dir, "dada_cifar10.md")
    os.makedirs(args.out_dir, exist_ok=True)
    with open(path, "w") as f:
        f.write(report_markdown(load_cells(args.out_dir), counts, command.strip(), args.quick))
    print(f"[dada_cifar10] report: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
