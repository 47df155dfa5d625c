"""How much of each batch should be generated? WGAN-GP `GANAugment` at several rates.

Issue 5 asks, where generative augmentation misses its goals, whether the mixing ratio
is the reason. This script trains the efficacy benchmark's classifier (same `small_cnn`,
optimiser, steps, batch and 8x8 digits, `tfgenaug.evaluation.evaluate_condition`) with
the `wgan_gp` condition at each `--rates` share of generated images per batch, on the
same generators the efficacy benchmark trains (`benchmarks.efficacy.ensure_run`, shared
through `--work_dir`; a missing one is trained), and compares each rate with the
efficacy table's own rows: rate 0 is `plain`, rate 0.5 is `wgan_gp`.

Cells are cached as JSON under `<out_dir>/cells/`, so a rerun skips them; the report
`<out_dir>/mixing_ratio.md` is rewritten from the cache at the end.

Usage:
    python -m benchmarks.mixing_ratio                   # n5, n10; seeds 0-4; 4 rates
    python -m benchmarks.mixing_ratio --cases=n5 --seeds=0,1 --rates=0.25,0.75
    python -m benchmarks.mixing_ratio --quick --out_dir=/tmp/mix   # smoke run
"""

import argparse
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import common  # noqa: E402
from benchmarks import efficacy  # noqa: E402
from benchmarks import efficacy_report  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug.evaluation import EvalConfig  # noqa: E402
from tfgenaug.evaluation import evaluate_condition  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "mixing_ratio")
RATES = (0.1, 0.25, 0.5, 0.75)
CASES = ("n5", "n10")


def cell_path(out_dir: str, case: str, rate: float, seed: int) -> str:
    """Where the cell of `(case, rate, seed)` is cached."""
    return os.path.join(out_dir, "cells", case, f"rate{rate:g}", f"seed{seed}.json")


def run_cell(case: str, rate: float, seed: int, budget, args) -> bool:
    """Trains and scores one classifier unless cached. Returns True if it ran.

    A generator trained here is recorded with the efficacy benchmark's (`efficacy_dir`),
    whose runs it shares.
    """
    path = cell_path(args.out_dir, case, rate, seed)
    if os.path.exists(path):
        return False
    model_dir = efficacy.ensure_run("wgan_gp", case, seed, budget, args.efficacy_dir,
                                    args.work_dir)
    config = EvalConfig(
        condition="wgan_gp", image_size=budget.image_size, seed=seed, gan_rate=rate,
        steps=budget.classifier_steps, width=budget.classifier_width,
        generator=os.path.join(model_dir, "export"), **efficacy.case_fields(case, seed),
    )
    result = evaluate_condition(config)
    cell = {"case": case, "rate": rate, "seed": seed, "accuracy": result["accuracy"],
            "seconds": result["seconds"]}
    jsonio.write_json(path, cell)
    print(f"[mixing_ratio] {case} rate {rate:g} seed {seed}: accuracy "
          f"{result['accuracy']:.4f} ({result['seconds']:.0f} s)", flush=True)
    return True


def load_cells(out_dir: str) -> dict[tuple[str, float], dict[int, float]]:
    """`(case, rate) -> {seed: accuracy}` from the cache."""
    cells: dict[tuple[str, float], dict[int, float]] = {}
    for cell in common.json_records(os.path.join(out_dir, "cells")):
        cells.setdefault((cell["case"], cell["rate"]), {})[cell["seed"]] = cell["accuracy"]
    return cells


def efficacy_rows(efficacy_dir: str, case: str, condition: str) -> dict[int, float]:
    """`{seed: accuracy}` of one row of the efficacy table's cache (may be empty)."""
    cells = efficacy_report.load_cells(os.path.join(efficacy_dir, "cells"))
    return {seed: cell["accuracy"] for seed, cell in cells.get((case, condition), {}).items()}


def paired(a: dict[int, float], b: dict[int, float]) -> str:
    """`a − b` in points over the seeds both have: mean ± sd (seeds)."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return "—"
    diffs = [100 * (a[s] - b[s]) for s in seeds]
    sd = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
    return f"{statistics.mean(diffs):+.1f} ± {sd:.1f} ({len(seeds)})"


def report_markdown(cells, cases, rates, efficacy_dir: str, command: str) -> str:
    """The report: accuracy per rate, and paired differences with plain and rate 0.5."""
    lines = [
        "# Mixing ratio: share of generated images per batch (WGAN-GP, digits 8x8)",
        "",
        f"Command: `{command}`",
        "",
        common.machine_line(),
        "",
        "Test accuracy %, mean ± sd over seeds; Δ columns are paired by seed with the "
        "efficacy table's `plain` row (rate 0) and `wgan_gp` row (rate 0.5, the table's "
        "setting), in points (seeds).",
        "",
        "| case | rate | accuracy | Δ plain | Δ rate 0.5 |",
        "|---|---|---|---|---|",
    ]
    for case in cases:
        plain = efficacy_rows(efficacy_dir, case, "plain")
        half = efficacy_rows(efficacy_dir, case, "wgan_gp")
        for rate in rates:
            values = cells.get((case, rate), {})
            if not values:
                continue
            mean = 100 * statistics.mean(values.values())
            sd = 100 * statistics.stdev(values.values()) if len(values) > 1 else 0.0
            lines.append(f"| {case} | {rate:g} | {mean:.1f} ± {sd:.1f} (n={len(values)}) | "
                         f"{paired(values, plain)} | {paired(values, half)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, tiny budgets")
    parser.add_argument("--cases", default=None, help=f"subset of {','.join(CASES)}")
    parser.add_argument("--rates", default=None,
                        help=f"comma-separated shares in (0, 1] (default {RATES})")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0-4)")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cells and the report")
    parser.add_argument("--work_dir", default=efficacy.DEFAULT_WORK,
                        help="generators (shared with benchmarks.efficacy)")
    parser.add_argument("--efficacy_dir", default=efficacy.DEFAULT_OUT,
                        help="the efficacy benchmark's results (its plain and wgan_gp rows)")
    args = parser.parse_args(argv)
    budget = efficacy.QUICK if args.quick else efficacy.FULL
    cases = args.cases.split(",") if args.cases else (["n5"] if args.quick else list(CASES))
    for case in cases:
        if case not in CASES:
            parser.error(f"--cases must be a subset of {','.join(CASES)}; got {case!r}")
    try:
        rates = ([float(r) for r in args.rates.split(",")] if args.rates
                 else list(RATES[1::2] if args.quick else RATES))
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(budget.seeds)
    except ValueError:
        parser.error(f"--rates must be numbers and --seeds ints; got {args.rates!r}, "
                     f"{args.seeds!r}")
    for rate in rates:
        if not 0.0 < rate <= 1.0:
            parser.error(f"--rates must be in (0, 1]; got {rate:g}")
    for seed in seeds:
        for case in cases:
            for rate in rates:
                run_cell(case, rate, seed, budget, args)
    command = "python -m benchmarks.mixing_ratio" + (" --quick" if args.quick else "")
    path = os.path.join(args.out_dir, "mixing_ratio.md")
    os.makedirs(args.out_dir, exist_ok=True)
    with open(path, "w") as f:
        f.write(report_markdown(load_cells(args.out_dir), cases, rates, args.efficacy_dir,
                                command))
    print(f"[mixing_ratio] report: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
