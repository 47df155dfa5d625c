"""The efficacy table from cached cells: mean ± sd per case and condition, goals, plot.

A cell is the JSON report of one `tfgenaug.evaluation.evaluate_condition` run (one case,
one condition, one seed). This module only reads cells; `benchmarks/efficacy.py` makes
them.
"""

import math
import os
import statistics
from collections.abc import Mapping
from collections.abc import Sequence

import scipy.stats  # a dependency of scikit-learn, which tfgenaug requires

from benchmarks import common

# Rows that use a generative model; the goals compare the best of them with baselines.
GENERATIVE = ("wgan_gp", "wgan_gp_quality", "wgan_gp_truncated", "dcgan", "classic+wgan_gp",
              "dagan", "classic+dagan",
              "wgan_gp_diffaug", "wgan_gp_long", "wgan_gp_filtered",
              "dada", "dada_classifier", "dada_classifier_aug")
DADA_CLASSIFIERS = ("dada_classifier", "dada_classifier_aug")
# External classifiers trained with some augmentation (DADA's goal compares with the best).
AUGMENTED = ("classic", "wgan_gp", "wgan_gp_quality", "wgan_gp_truncated", "dcgan",
             "classic+wgan_gp", "dagan", "classic+dagan",
             "wgan_gp_diffaug",
             "wgan_gp_long", "wgan_gp_filtered", "dada",
             "same_class_mix", "fgsm", "pgd", "self_training", "stda")
# Rows that learn from the unlabelled rest of the pool with a generative model (issue 20).
SEMI_SUPERVISED = ("ssgan", "ssgan_self_training", "ssgan_augment", "dada_semi")
LOW_DATA_GOALS = {"plain_n5": 0.08, "classic_n_le_10": 0.03}
# Issue 20's test accuracy for the best semi-supervised row, per images per class.
SEMI_SUPERVISED_GOALS = {5: 0.965, 10: 0.975}
IMBALANCE_GOALS = {"minority_recall_over_plain": 0.15, "balanced_over_resampling": 0.02}


def cell_path(cells_dir: str, case: str, condition: str, seed: int) -> str:
    """Where the cell of `(case, condition, seed)` is cached."""
    return os.path.join(cells_dir, case, condition.replace("+", "_plus_"), f"seed{seed}.json")


def load_cells(cells_dir: str) -> dict[tuple[str, str], dict[int, dict]]:
    """Reads every cached cell: `{(case, condition): {seed: report}}`."""
    cells: dict[tuple[str, str], dict[int, dict]] = {}
    for report in common.json_records(cells_dir):
        key = (report["case"], report["config"]["condition"])
        cells.setdefault(key, {})[int(report["config"]["seed"])] = report
    return cells


def rare_classes(case: str) -> bool:
    """Whether `case` makes some classes rare (imbalance, transfer) rather than all few."""
    return case.startswith(("imbalance", "transfer"))


def headline(case: str) -> str:
    """The metric a case is judged by: accuracy in low data, balanced accuracy with rare
    classes (imbalance, transfer)."""
    return "balanced_accuracy" if rare_classes(case) else "accuracy"


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = list(values)
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired_difference(
    a: Mapping[int, dict], b: Mapping[int, dict], metric: str
) -> tuple[float, float, int] | None:
    """Mean and sd of `a - b` over the seeds both have, and how many; None if no seed."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    mean, sd = mean_sd([a[s][metric] - b[s][metric] for s in seeds])
    return mean, sd, len(seeds)


def confidence_interval(mean: float, sd: float, n: int) -> tuple[float, float]:
    """Two-sided 95 % t interval of a mean of `n` >= 2 paired differences."""
    half = float(scipy.stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half


def verdict(low: float, high: float) -> str:
    """A paired difference's reading from its interval: "tie" when it holds 0."""
    return "tie" if low <= 0 <= high else ("above" if low > 0 else "below")


def _measured(row: str, baseline: str, metric: str, mean: float, sd: float, n: int) -> str:
    text = (f"{row} − {baseline} = {100 * mean:+.1f} ± {100 * sd:.1f} points "
            f"({metric}, paired over {n} seed{'s' if n != 1 else ''}")
    if n > 1:
        low, high = confidence_interval(mean, sd, n)
        return text + f"; 95 % interval {100 * low:+.1f} to {100 * high:+.1f})"
    return text + "; one seed: no interval)"


def _fmt(mean: float, sd: float) -> str:
    return f"{100 * mean:.1f} ± {100 * sd:.1f}"


def _best_generative(cells, case: str, metric: str, rows=GENERATIVE) -> str | None:
    candidates = [c for c in rows if (case, c) in cells]
    if not candidates:
        return None
    return max(candidates,
               key=lambda c: statistics.fmean(r[metric] for r in cells[(case, c)].values()))


def goals(cells, cases: Sequence[str]) -> list[dict]:
    """Each goal of the issue with its measured margin and whether it is met.

    Returns:
        A list of dicts with `"goal"` (text), `"measured"` (text, paired over seeds) and
        `"met"` (True, False, or None when the cells are missing).
    """
    results = []

    def compare(goal, case, row, baseline, metric, margin=None):
        """A margin goal is met when the mean paired difference reaches `margin`; a
        "beats" goal (`margin=None`) when the paired 95 % interval lies above 0: a
        positive mean inside the seeds' noise is a tie. With one seed there is no
        interval and the mean decides (the report says so).
        """
        a, b = cells.get((case, row or "")), cells.get((case, baseline))
        diff = paired_difference(a, b, metric) if a and b else None
        if diff is None:
            results.append({"goal": goal, "measured": "cells missing", "met": None})
            return
        mean, sd, n = diff
        if margin is not None:
            met = mean >= margin
        else:
            met = (confidence_interval(mean, sd, n)[0] if n > 1 else mean) > 0
        results.append({"goal": goal, "measured": _measured(row, baseline, metric, *diff),
                        "met": met})

    def reach(goal, case, row, metric, value):
        """An absolute goal: met when the row's mean over its seeds reaches `value`."""
        runs_of = cells.get((case, row or ""))
        if not runs_of:
            results.append({"goal": goal, "measured": "cells missing", "met": None})
            return
        mean, sd = mean_sd([r[metric] for r in runs_of.values()])
        n = len(runs_of)
        results.append({"goal": goal, "met": mean >= value,
                        "measured": f"{row}: {_fmt(mean, sd)} % ({metric}, {n} "
                                    f"seed{'s' if n != 1 else ''})"})

    for case in cases:
        if case.startswith("n"):
            count = int(case[1:])
            best = _best_generative(cells, case, "accuracy")
            if count == 5:
                compare(f"{case}: best generative ≥ plain + 8 points", case, best, "plain",
                        "accuracy", LOW_DATA_GOALS["plain_n5"])
            if count <= 10:
                compare(f"{case}: best generative ≥ classic + 3 points", case, best, "classic",
                        "accuracy", LOW_DATA_GOALS["classic_n_le_10"])
            for alone in ("classic", "wgan_gp"):
                compare(f"{case}: classic + generative beats {alone} alone", case,
                        "classic+wgan_gp", alone, "accuracy")
            dada = _best_generative(cells, case, "accuracy", DADA_CLASSIFIERS)
            if count <= 10:
                augmented = _best_generative(cells, case, "accuracy", AUGMENTED)
                compare(f"{case}: DADA's D as classifier within 2 points of the best "
                        "augmented classifier", case, dada, augmented, "accuracy", -0.02)
                compare(f"{case}: DADA's D as classifier ahead of plain", case, dada, "plain",
                        "accuracy")
            semi = _best_generative(cells, case, "accuracy", SEMI_SUPERVISED)
            if count in SEMI_SUPERVISED_GOALS:
                reach(f"{case}: best semi-supervised row ≥ "
                      f"{100 * SEMI_SUPERVISED_GOALS[count]:.1f} %", case, semi, "accuracy",
                      SEMI_SUPERVISED_GOALS[count])
                compare(f"{case}: best semi-supervised row beats self_training", case, semi,
                        "self_training", "accuracy")
                compare(f"{case}: GANAugment from the semi-supervised generator beats classic "
                        "+ self-training alone", case, "ssgan_augment", "ssgan_self_training",
                        "accuracy")
            # Not a goal of the issue: what DADA's method adds to its own network.
            compare(f"{case}: (readout) DADA's D ahead of its network trained plainly", case,
                    dada, "dada_network_plain", "accuracy")
        elif case.startswith("transfer"):
            compare(f"{case}: dagan beats classic", case, "dagan", "classic",
                    "balanced_accuracy")
            for alone in ("classic", "dagan"):
                compare(f"{case}: classic+dagan beats {alone} alone", case, "classic+dagan",
                        alone, "balanced_accuracy")
            # Not goals of the issue: DAGAN against the other rare-class levers.
            for baseline in ("oversample", "smote", "wgan_gp"):
                compare(f"{case}: (readout) dagan ahead of {baseline}", case, "dagan",
                        baseline, "balanced_accuracy")
        else:
            best = _best_generative(cells, case, "minority_recall")
            compare(f"{case}: minority recall ≥ plain + 15 points", case, best, "plain",
                    "minority_recall", IMBALANCE_GOALS["minority_recall_over_plain"])
            best = _best_generative(cells, case, "balanced_accuracy")
            for baseline in ("oversample", "smote"):
                compare(f"{case}: balanced accuracy ≥ {baseline} + 2 points", case, best,
                        baseline, "balanced_accuracy",
                        IMBALANCE_GOALS["balanced_over_resampling"])
            # Issue 21's goals for DAGAN itself, whichever row is best.
            compare(f"{case}: dagan balanced accuracy ≥ oversample + 2 points", case, "dagan",
                    "oversample", "balanced_accuracy",
                    IMBALANCE_GOALS["balanced_over_resampling"])
            compare(f"{case}: dagan beats smote", case, "dagan", "smote", "balanced_accuracy")
            compare(f"{case}: dagan minority recall ≥ plain + 15 points", case, "dagan",
                    "plain", "minority_recall", IMBALANCE_GOALS["minority_recall_over_plain"])
    return results


def table_markdown(cells, cases: Sequence[str], conditions: Sequence[str]) -> str:
    """A markdown table: one row per condition, one column per case, mean ± sd in %."""
    header = "| condition | " + " | ".join(
        f"{case} ({'bal. acc.' if headline(case) == 'balanced_accuracy' else 'acc.'})"
        for case in cases
    ) + " |"
    lines = [header, "|---|" + "---|" * len(cases)]
    for condition in conditions:
        row = [condition]
        for case in cases:
            reports = cells.get((case, condition))
            if not reports:
                row.append("—")
                continue
            mean, sd = mean_sd([r[headline(case)] for r in reports.values()])
            row.append(f"{_fmt(mean, sd)} (n={len(reports)})")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def minority_markdown(cells, case: str, conditions: Sequence[str]) -> str:
    """Imbalance details: balanced accuracy, minority recall and macro F1 per condition."""
    lines = ["| condition | balanced accuracy | minority recall | macro F1 | accuracy |",
             "|---|---|---|---|---|"]
    for condition in conditions:
        reports = cells.get((case, condition))
        if not reports:
            continue
        values = [
            _fmt(*mean_sd([r[m] for r in reports.values()]))
            for m in ("balanced_accuracy", "minority_recall", "macro_f1", "accuracy")
        ]
        lines.append(f"| {condition} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def _paired_text(reports, other_reports, metric: str) -> str:
    """`reports − other_reports` in points, paired by seed: `"+1.5 ± 0.3 (3 seeds)"`, or
    `"—"` when the other row has no cells (or no seed in common)."""
    diff = paired_difference(reports, other_reports, metric) if other_reports else None
    if not diff:
        return "—"
    return (f"{100 * diff[0]:+.1f} ± {100 * diff[1]:.1f} ({diff[2]} "
            f"seed{'s' if diff[2] != 1 else ''})")


def stda_markdown(cells, cases: Sequence[str]) -> str:
    """ST-DA details per case: synthetic images kept / dropped, teacher and ST-DA accuracy.

    Returns:
        A markdown table, or `""` when no case has `stda` cells.
    """
    lines = ["| case | kept per run | dropped per run | teacher accuracy | ST-DA accuracy "
             "| ST-DA − plain (paired) |", "|---|---|---|---|---|---|"]
    for case in cases:
        reports = cells.get((case, "stda"))
        if not reports:
            continue
        kept = mean_sd([r["stda"]["kept"] for r in reports.values()])
        dropped = mean_sd([r["stda"]["dropped"] for r in reports.values()])
        teacher = mean_sd([r["stda"]["teacher_accuracy"] for r in reports.values()])
        accuracy = mean_sd([r["accuracy"] for r in reports.values()])
        versus = _paired_text(reports, cells.get((case, "plain")), "accuracy")
        lines.append(f"| {case} | {kept[0]:.0f} ± {kept[1]:.0f} | {dropped[0]:.0f} ± "
                     f"{dropped[1]:.0f} | {_fmt(*teacher)} | {_fmt(*accuracy)} | {versus} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def filtered_markdown(cells, cases: Sequence[str]) -> str:
    """Teacher-filtered WGAN-GP samples per case: how many kept, and the accuracy gained.

    Returns:
        A markdown table, or `""` when no case has `wgan_gp_filtered` cells.
    """
    lines = ["| case | kept of the pool | filtered accuracy | − wgan_gp (paired) "
             "| − plain (paired) |", "|---|---|---|---|---|"]
    for case in cases:
        reports = cells.get((case, "wgan_gp_filtered"))
        if not reports:
            continue
        kept = mean_sd([r["filtered"]["kept"] / r["filtered"]["pool"] for r in reports.values()])
        accuracy = mean_sd([r["accuracy"] for r in reports.values()])
        versus = [_paired_text(reports, cells.get((case, other)), "accuracy")
                  for other in ("wgan_gp", "plain")]
        lines.append(f"| {case} | {100 * kept[0]:.0f} ± {100 * kept[1]:.0f} % | "
                     f"{_fmt(*accuracy)} | {versus[0]} | {versus[1]} |")
    return "\n".join(lines) if len(lines) > 2 else ""


# `GANAugment`'s sampling options measured on a classifier (issue 23): row -> what it changes.
SAMPLING_ROWS = {"wgan_gp_quality": "class_quality='label_agreement'",
                 "wgan_gp_truncated": "truncation"}


def sampling_markdown(cells, cases: Sequence[str]) -> str:
    """The sampling-option rows against `wgan_gp` (same generator), paired by seed.

    Returns:
        A markdown table: per case and row, its headline metric (and minority recall on
        rare-class cases) and its paired difference from `wgan_gp` with the 95 % t
        interval and a verdict (a tie when the interval holds 0); `""` when no case has
        such cells.
    """
    lines = ["| case | row | option | metric | value, % | − wgan_gp [95 % interval] | verdict |",
             "|---|---|---|---|---|---|---|"]
    for case in cases:
        metrics = [headline(case)] + (["minority_recall"] if rare_classes(case) else [])
        for row, option in SAMPLING_ROWS.items():
            reports, base = cells.get((case, row)), cells.get((case, "wgan_gp"))
            if not reports or not base:
                continue
            for metric in metrics:
                value = _fmt(*mean_sd([r[metric] for r in reports.values()]))
                diff = paired_difference(reports, base, metric)
                if diff[2] < 2:
                    versus, reading = f"{100 * diff[0]:+.1f} (1 seed)", "—"
                else:
                    low, high = confidence_interval(*diff)
                    versus = (f"{100 * diff[0]:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] "
                              f"({diff[2]} seeds)")
                    reading = verdict(low, high)
                lines.append(f"| {case} | {row} | {option} | {metric} | {value} (n={len(reports)})"
                             f" | {versus} | {reading} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def diffaugment_markdown(cells, generators: Sequence[dict], cases: Sequence[str]) -> str:
    """WGAN-GP with vs without DiffAugment, paired by seed: generator quality and accuracy.

    Args:
        cells: as from `load_cells`.
        generators: the cached generator records (`label_agreement`, and
            `fid_judge_features` where measured).
        cases: the cases to report.

    Returns:
        A markdown table (differences are `wgan_gp_diffaug − wgan_gp`), or `""` when
        no case has both generators.
    """
    by_run: dict[tuple[str, str], dict[int, dict]] = {}
    for record in generators:
        by_run.setdefault((record["case"], record["trainer"]), {})[record["seed"]] = record
    lines = ["| case | label agreement: with | Δ (paired) | FID (judge features): with | Δ "
             "(paired) | classifier accuracy Δ (paired) |", "|---|---|---|---|---|---|"]

    def delta(a, b, metric, scale=100.0, digits=1):
        seeds = [k for k in sorted(set(a) & set(b)) if metric in a[k] and metric in b[k]]
        if not seeds:
            return "—"
        mean, sd = mean_sd([a[k][metric] - b[k][metric] for k in seeds])
        return f"{scale * mean:+.{digits}f} ± {scale * sd:.{digits}f} ({len(seeds)})"

    for case in cases:
        with_aug, without = by_run.get((case, "wgan_gp_diffaug")), by_run.get((case, "wgan_gp"))
        if not with_aug or not without:
            continue
        agreement = _fmt(*mean_sd([r["label_agreement"] for r in with_aug.values()]))
        fids = [r["fid_judge_features"] for r in with_aug.values() if "fid_judge_features" in r]
        fid = f"{mean_sd(fids)[0]:.2f} ± {mean_sd(fids)[1]:.2f}" if fids else "—"
        accuracy = "—"
        if cells.get((case, "wgan_gp_diffaug")) and cells.get((case, "wgan_gp")):
            accuracy = delta(cells[(case, "wgan_gp_diffaug")], cells[(case, "wgan_gp")],
                             headline(case))
        lines.append(f"| {case} | {agreement} | {delta(with_aug, without, 'label_agreement')} | "
                     f"{fid} | {delta(with_aug, without, 'fid_judge_features', 1.0, 2)} | "
                     f"{accuracy} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def plot_png(cells, cases: Sequence[str], conditions: Sequence[str], path: str) -> str:
    """Bar chart of the headline metric (mean ± sd) per case and condition."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2.2 * len(cases) + 3, 4))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(conditions))
    lowest = 1.0
    for i, condition in enumerate(conditions):
        means, sds, xs = [], [], []
        for j, case in enumerate(cases):
            reports = cells.get((case, condition))
            if reports:
                mean, sd = mean_sd([r[headline(case)] for r in reports.values()])
                means.append(100 * mean)
                sds.append(100 * sd)
                xs.append(j + (i - (len(conditions) - 1) / 2) * width)
                lowest = min(lowest, mean - sd)
        if xs:
            axes.bar(xs, means, width, yerr=sds, capsize=2, label=condition)
    axes.set_xticks(range(len(cases)),
                    [f"{c}\n({'bal. acc.' if headline(c) != 'accuracy' else 'acc.'})"
                     for c in cases])
    axes.set_ylabel("test %, mean ± sd over seeds")
    axes.set_ylim(max(0.0, math.floor(100 * lowest / 5) * 5 - 5), 100)
    axes.legend(fontsize=7, ncol=2, loc="lower right")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def generators_markdown(generators: Sequence[dict]) -> str:
    """One row per (case, trainer): label agreement, its lowest class, FID and P/R/D/C.

    Args:
        generators: the cached generator records; those without `label_agreement`
            (classifier-only runs) are left out. FID and precision/recall/density/
            coverage (`*_judge_features`) show as "—" where a record lacks them.

    Returns:
        A markdown table, or `""` when no record has a label agreement.
    """
    lines = ["| case | trainer | label agreement, mean ± sd | lowest class | FID (judge "
             "features) | P / R / D / C | seeds |", "|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict]] = {}
    for record in generators:
        groups.setdefault((record["case"], record["trainer"]), []).append(record)

    def mean_of(records, key, digits):
        values = [r[key] for r in records if key in r]
        return f"{statistics.fmean(values):.{digits}f}" if values else "—"

    for (case, trainer), records in sorted(groups.items()):
        if "label_agreement" not in records[0]:
            continue
        mean, sd = mean_sd([r["label_agreement"] for r in records])
        lowest = min(min(r["label_agreement_per_class"]) for r in records)
        quality = " / ".join(mean_of(records, f"{name}_judge_features", 2)
                             for name in ("precision", "recall", "density", "coverage"))
        lines.append(f"| {case} | {trainer} | {100 * mean:.1f} ± {100 * sd:.1f} | "
                     f"{100 * lowest:.0f} | {mean_of(records, 'fid_judge_features', 2)} | "
                     f"{quality} | {len(records)} |")
    return "\n".join(lines) if len(lines) > 2 else ""
