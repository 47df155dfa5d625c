"""What each part of the `ssgan` condition's recipe does: an ablation on the efficacy cases.

Each variant is a `tfgenaug.evaluation.conditions.ssgan.SSGANRecipe`; a cell trains the
`ssgan` condition with it on one efficacy case and seed (the benchmark's data, budget
and test split: `benchmarks.efficacy`'s `EvalConfig`) and records the EMA
discriminator's test accuracy. The `default` variant is the efficacy row itself: its
cells are read from the efficacy cache when they are there. Variants are compared with
`default` and with the `self_training` row, paired by seed with a 95 % t interval (a
mean inside the noise is a tie). Cells are cached as JSON under `<out_dir>/cells/`, so
an interrupted run resumes; `<out_dir>/ssgan_recipe.md` is rewritten from the cache.

Usage:
    python -m benchmarks.ssgan_recipe --variants=augment --cases=n5 --seeds=0,1
    python -m benchmarks.ssgan_recipe --report_only
"""

import argparse
import dataclasses
import json
import os
import sys
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import common  # noqa: E402
from benchmarks import efficacy  # noqa: E402
from benchmarks import efficacy_report  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug.evaluation import EvalConfig  # noqa: E402
from tfgenaug.evaluation import runner  # noqa: E402
from tfgenaug.evaluation.conditions import ssgan  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "ssgan_recipe")
EFFICACY_CELLS = os.path.join(efficacy.DEFAULT_OUT, "cells")
_BASE = ssgan.DEFAULT_RECIPE
VARIANTS = {
    "default": _BASE,
    "augment": dataclasses.replace(_BASE, augment_real=True),
    "weight1": dataclasses.replace(_BASE, unlabelled_weight=1.0),
    "steps2x": dataclasses.replace(_BASE, steps_per=2 * _BASE.steps_per),
    # The pool-size ablation: how the accuracy grows with the unlabelled images.
    "pool_quarter": dataclasses.replace(_BASE, pool_fraction=0.25),
    "pool_half": dataclasses.replace(_BASE, pool_fraction=0.5),
    # The discriminator's noise and the classifier's averaging (issue 20's "why" list).
    "noise_low": dataclasses.replace(_BASE, gaussian_noise=0.1),
    "noise_high": dataclasses.replace(_BASE, gaussian_noise=0.3),
    "ema_fast": dataclasses.replace(_BASE, ema_decay=0.99),
}
BASELINES = ("default", "self_training")


def cell_path(out_dir: str, case: str, variant: str, seed: int) -> str:
    """Where the cell of `(case, variant, seed)` is cached."""
    return os.path.join(out_dir, "cells", case, variant, f"seed{seed}.json")


def cached(out_dir: str, efficacy_cells: str, case: str, variant: str, seed: int):
    """The cached cell, from this benchmark or (`default`, `self_training`) the efficacy one."""
    paths = [cell_path(out_dir, case, variant, seed)]
    if variant in ("default", "self_training"):
        row = "ssgan" if variant == "default" else variant
        paths.append(efficacy_report.cell_path(efficacy_cells, case, row, seed))
    for path in paths:
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)
    return None


def run_cell(case: str, variant: str, seed: int, out_dir: str, efficacy_cells: str) -> dict:
    """Trains the `ssgan` condition with `VARIANTS[variant]` (or reads its cached cell)."""
    cell = cached(out_dir, efficacy_cells, case, variant, seed)
    if cell is not None:
        return cell
    budget = efficacy.FULL
    config = EvalConfig(condition="ssgan", image_size=budget.image_size, seed=seed,
                        steps=budget.classifier_steps, width=budget.classifier_width,
                        **efficacy.case_fields(case, seed))
    with mock.patch.object(ssgan, "DEFAULT_RECIPE", VARIANTS[variant]):
        cell = runner.evaluate_condition(config)
    cell.update({"case": case, "variant": variant, "machine": common.machine_line()})
    jsonio.write_json(cell_path(out_dir, case, variant, seed), cell)
    print(f"[ssgan_recipe] {case} {variant:16s} seed {seed}: accuracy {cell['accuracy']:.4f} "
          f"({cell['seconds']:.0f} s)", flush=True)
    return cell


def load_cells(out_dir: str, efficacy_cells: str, cases, seeds_of_case) -> dict:
    """`{(case, variant): {seed: cell}}` of every cached cell, the baselines' included."""
    cells = {}
    for case in cases:
        for variant in (*VARIANTS, "self_training"):
            for seed in seeds_of_case:
                cell = cached(out_dir, efficacy_cells, case, variant, seed)
                if cell is not None:
                    cells.setdefault((case, variant), {})[seed] = cell
    return cells


def _paired(cells: dict, case: str, variant: str, baseline: str) -> str:
    paired = efficacy_report.paired_difference(cells.get((case, variant), {}),
                                               cells.get((case, baseline), {}), "accuracy")
    if paired is None or paired[2] < 2:
        return "—"
    mean, sd, n = paired
    low, high = efficacy_report.confidence_interval(mean, sd, n)
    verdict = efficacy_report.verdict(low, high)
    return f"{100 * mean:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] (n={n}, {verdict})"


def report_markdown(cells: dict, cases, command: str) -> str:
    """One table per case: accuracy per variant and its paired differences."""
    lines = ["# The ssgan recipe, one change at a time (digits 8x8, efficacy cases)", "",
             f"Command: `{command}`", "",
             "Accuracy in % (mean ± sd over seeds, then each seed); differences in points, "
             "paired by seed, with the 95 % t interval.", ""]
    for case in cases:
        lines += [f"## {case}", "",
                  "| variant | recipe | accuracy | per seed | − default | − self_training |",
                  "|---|---|---|---|---|---|"]
        for variant in (*VARIANTS, "self_training"):
            runs_of = cells.get((case, variant), {})
            recipe = ("the efficacy row" if variant == "self_training" else ", ".join(
                f"{k}={v}" for k, v in dataclasses.asdict(VARIANTS[variant]).items()
                if v != getattr(_BASE, k)) or "the efficacy row")
            if not runs_of:
                lines.append(f"| {variant} | {recipe} | not run | | | |")
                continue
            accuracy = [100 * runs_of[s]["accuracy"] for s in sorted(runs_of)]
            mean, sd = efficacy_report.mean_sd(accuracy)
            others = [_paired(cells, case, variant, b) if variant != b else "" for b in BASELINES]
            lines.append(f"| {variant} | {recipe} | {mean:.1f} ± {sd:.1f} (n={len(accuracy)}) | "
                         f"{', '.join(f'{a:.1f}' for a in accuracy)} | {' | '.join(others)} |")
        lines.append("")
    machines = sorted({cell.get("machine", "").rsplit(",", 1)[0] for runs_of in cells.values()
                       for cell in runs_of.values() if cell.get("machine")})
    dates = sorted(cell["machine"].rsplit(",", 1)[1].strip()[:10] for runs_of in cells.values()
                   for cell in runs_of.values() if cell.get("machine"))
    when = f" (this benchmark's cells run {dates[0]} to {dates[-1]})" if dates else ""
    lines += ["Machines: " + ("; ".join(machines) or "(efficacy cells only)") + when, ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of {list(VARIANTS)}")
    parser.add_argument("--cases", default="n5", help="efficacy low-data cases, e.g. n5,n10")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cells and the report")
    parser.add_argument("--efficacy_cells", default=EFFICACY_CELLS,
                        help="the efficacy cache the baselines are read from")
    parser.add_argument("--report_only", action="store_true", help="rewrite the report")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"--variants must be of {list(VARIANTS)}; got {unknown}")
    if any(not c.startswith("n") for c in cases):
        parser.error(f"--cases must be low-data cases such as n5, n10; got {cases}")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated ints; got {args.seeds!r}")
    if not args.report_only:
        for seed in seeds:  # seed-major: every variant of a seed before the next seed
            for case in cases:
                for variant in variants:
                    run_cell(case, variant, seed, args.out_dir, args.efficacy_cells)
    command = common.command_line("benchmarks.ssgan_recipe", argv)
    report_cases = sorted({os.path.basename(p) for p in common_dirs(args.out_dir)} | set(cases))
    common.write_markdown(os.path.join(args.out_dir, "ssgan_recipe.md"), report_markdown(
        load_cells(args.out_dir, args.efficacy_cells, report_cases, range(10)), report_cases,
        command))
    return 0


def common_dirs(out_dir: str) -> list[str]:
    """The case folders of the cache."""
    root = os.path.join(out_dir, "cells")
    return [os.path.join(root, d) for d in os.listdir(root)] if os.path.isdir(root) else []


if __name__ == "__main__":
    sys.exit(main())
