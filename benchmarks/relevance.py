"""Relevance on ink: does augmentation move a classifier's Deep Taylor relevance onto the digit?

ST-DA's evaluation (issue 9), on the bundled digits with n = 10 images per class
(16x16, seeds 0-4): the benchmark's `small_cnn` is trained three ways with the same
budget by `tfgenaug.evaluation` (plain and classic by `runner.train_classifier`, ST-DA by
`stda_condition.train_stda`, whose teacher is the plain classifier itself). On every
image of the real test split, `explain.deep_taylor` redistributes the predicted class's
logit onto the pixels, and `explain.relevance_on_object_share` measures the share of
the positive relevance that lies on ink (`explain.ink_mask`). A map that ignores the
digit has, in expectation, the share of ink pixels as its ink share (the chance level).

Each finished seed is cached as JSON in `<out>/relevance_cells/` (a rerun with the same
budget skips it); the report (`relevance.md`) and the heatmaps (`relevance.png`, the
first test image of each class, lowest seed) are rewritten from the cache at the end.

Usage:
    python -m benchmarks.relevance                      # seeds 0-4, ~30 min on 2 busy cores
    python -m benchmarks.relevance --seeds=0,1          # part of it
    python -m benchmarks.relevance --quick --out=/tmp/relevance   # smoke run, tiny budgets
"""

import argparse
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks.efficacy_report import mean_sd  # noqa: E402
from tfgenaug import explain  # noqa: E402
from tfgenaug.evaluation import EvalConfig  # noqa: E402
from tfgenaug.evaluation import select_training_data  # noqa: E402
from tfgenaug.evaluation.classifier import train_classifier  # noqa: E402
from tfgenaug.evaluation.conditions import stda as stda_condition  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results")
CLASSIFIERS = ("plain", "classic", "stda")
COUNT = 10


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much training each classifier gets (the same in every condition)."""

    image_size: int
    steps: int
    width: int
    seeds: tuple[int, ...]


FULL = Budget(image_size=16, steps=1500, width=32, seeds=(0, 1, 2, 3, 4))
QUICK = Budget(image_size=8, steps=10, width=4, seeds=(0,))


def example_indices(test_labels: np.ndarray, num_classes: int) -> list[int]:
    """The first test image of each class present, in class order."""
    return [int(np.flatnonzero(test_labels == k)[0]) for k in range(num_classes)
            if np.any(test_labels == k)]


def run_seed(seed: int, budget: Budget) -> dict:
    """Trains the three classifiers of one seed and measures their relevance on ink.

    Returns:
        A JSON-serialisable dict: per classifier its test accuracy, mean ink share, the
        number of test images without positive relevance, and the relevance maps of
        the example images; the chance level; ST-DA's details; the wall time.
    """
    start = time.perf_counter()
    config = EvalConfig(count=COUNT, seed=seed, image_size=budget.image_size,
                        steps=budget.steps, width=budget.width)
    images, labels, test_images, test_labels, info = select_training_data(config)
    plain = train_classifier(dataclasses.replace(config, condition="plain"), images, labels,
                             info.num_classes)
    classic = train_classifier(dataclasses.replace(config, condition="classic"), images,
                               labels, info.num_classes)
    stda, _, details = stda_condition.train_stda(
        dataclasses.replace(config, condition="stda"), images, labels, info.num_classes,
        teacher=plain,
    )
    mask = explain.ink_mask(test_images)
    examples = example_indices(test_labels, info.num_classes)
    result = {
        "seed": seed,
        "budget": dataclasses.asdict(budget) | {"seeds": None},
        "chance": float(mask.mean(axis=(1, 2)).mean()),
        "examples": examples,
        "stda": details,
        "classifiers": {},
    }
    for name, model in zip(CLASSIFIERS, (plain, classic, stda), strict=True):
        relevance = explain.deep_taylor(model, test_images)
        shares = explain.relevance_on_object_share(relevance, mask)
        result["classifiers"][name] = {
            "accuracy": stda_condition.accuracy_on(model, test_images, test_labels),
            "ink_share": float(np.nanmean(shares)),
            "no_positive_relevance": int(np.sum(np.isnan(shares))),
            "example_shares": [float(s) for s in shares[examples]],
            "example_maps": np.round(relevance[examples].sum(-1), 6).tolist(),
        }
    result["seconds"] = time.perf_counter() - start
    return result


def cell_path(out_dir: str, seed: int) -> str:
    """Where the result of `seed` is cached."""
    return os.path.join(out_dir, "relevance_cells", f"seed{seed}.json")


def load_or_run(seed: int, budget: Budget, out_dir: str) -> dict:
    """The cached result of `seed` if it was made with `budget`, else a new one (cached)."""
    path = cell_path(out_dir, seed)
    wanted = dataclasses.asdict(budget) | {"seeds": None}
    if os.path.exists(path):
        with open(path) as f:
            cached = json.load(f)
        if cached.get("budget") == wanted:
            return cached
    print(f"[relevance] seed {seed}: training plain, classic and stda", flush=True)
    result = run_seed(seed, budget)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(path + ".tmp", path)
    shares = ", ".join(f"{name} {100 * r['ink_share']:.1f} %"
                       for name, r in result["classifiers"].items())
    print(f"[relevance] seed {seed}: ink share {shares} ({result['seconds']:.0f} s)", flush=True)
    return result


def _paired(results: list[dict], name: str, metric: str) -> str:
    if name == "plain":
        return "—"
    diffs = [r["classifiers"][name][metric] - r["classifiers"]["plain"][metric] for r in results]
    mean, sd = mean_sd(diffs)
    higher = sum(d > 0 for d in diffs)
    return f"{100 * mean:+.1f} ± {100 * sd:.1f} (higher in {higher}/{len(diffs)})"


def heatmaps_png(result: dict, test_images: np.ndarray, path: str) -> str:
    """Rows: the example test digits, then the relevance maps of each classifier.

    Each map is drawn with a diverging colour map (red positive, blue negative) scaled
    by its own largest absolute value; its ink share is in its title.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    examples = result["examples"]
    rows = 1 + len(CLASSIFIERS)
    figure = Figure(figsize=(1.2 * len(examples) + 0.8, 1.35 * rows + 0.5))
    FigureCanvasAgg(figure)
    for column, index in enumerate(examples):
        axes = figure.add_subplot(rows, len(examples), column + 1)
        axes.imshow(test_images[index, ..., 0], cmap="gray", vmin=-1.0, vmax=1.0)
        axes.set_xticks([])
        axes.set_yticks([])
        if column == 0:
            axes.set_ylabel("test image", fontsize=8)
        for row, name in enumerate(CLASSIFIERS, start=1):
            record = result["classifiers"][name]
            relevance = np.asarray(record["example_maps"][column])
            limit = float(np.abs(relevance).max()) or 1.0
            axes = figure.add_subplot(rows, len(examples), row * len(examples) + column + 1)
            axes.imshow(relevance, cmap="bwr", vmin=-limit, vmax=limit)
            axes.set_title(f"{100 * record['example_shares'][column]:.0f} %", fontsize=7)
            axes.set_xticks([])
            axes.set_yticks([])
            if column == 0:
                axes.set_ylabel(name, fontsize=8)
    figure.suptitle(f"Deep Taylor relevance of the predicted class (seed {result['seed']}); "
                    "title: share of positive relevance on ink", fontsize=9)
    figure.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def _recalibration_note() -> str:
    if getattr(EvalConfig(), "recalibrate_bn", False):
        return (" (then batch-norm statistics re-estimated on the real training images, "
                "`EvalConfig.recalibrate_bn`)")
    return ""


def write_report(results: list[dict], budget: Budget, out_dir: str, command: str) -> str:
    """Writes `relevance.md` and `relevance.png` in `out_dir` from per-seed results."""
    results = sorted(results, key=lambda r: r["seed"])
    _, _, test_images, _, _ = select_training_data(
        EvalConfig(count=COUNT, seed=results[0]["seed"], image_size=budget.image_size))
    plot = heatmaps_png(results[0], test_images, os.path.join(out_dir, "relevance.png"))
    chance = mean_sd([r["chance"] for r in results])[0]
    seconds = sum(r["seconds"] for r in results)
    stda = [r["stda"] for r in results]
    lines = [
        "# Relevance on ink: what do plain and augmented classifiers look at?",
        "",
        f"Command: `{command}`",
        "",
        common.machine_line(),
        "",
        f"Digits {budget.image_size}x{budget.image_size}, n = {COUNT} training images per "
        f"class (seeded), seeds {', '.join(str(r['seed']) for r in results)}. Every "
        f"classifier is the efficacy benchmark's small_cnn (width {budget.width}), Adam "
        f"1e-3, {budget.steps} steps of batch 64{_recalibration_note()}, trained by "
        "`tfgenaug.evaluation`: plain, "
        "classic (Keras rotation, translation, zoom, contrast) and ST-DA (the `stda` "
        "condition; its teacher is the plain classifier of the same seed; "
        f"{stda_condition.STDA_NUM_PER_IMAGE} renderings per image, threshold "
        f"{stda_condition.STDA_THRESHOLD}; kept {mean_sd([s['kept'] for s in stda])[0]:.0f} "
        f"and dropped {mean_sd([s['dropped'] for s in stda])[0]:.0f} per seed on average).",
        "",
        "Relevance: Deep Taylor decomposition (`tfgenaug.explain.deep_taylor`: z+ rule in "
        "hidden layers, bounded z^B rule on the pixels in [-1, 1], batch norm folded) of "
        "the predicted class's logit, on all "
        f"{len(test_images)} images of the real test split. Ink share: per image, the "
        "positive relevance on ink pixels (above a quarter of the range over the "
        "background) over all positive relevance, averaged over the test images.",
        "",
        f"**Chance level: a map that ignores the digit puts the share of ink pixels on ink, "
        f"{100 * chance:.1f} % here** (mean over the test images).",
        "",
        "| classifier | ink share, % | − plain, points (paired by seed) | test accuracy, % "
        "| − plain, points (paired by seed) |",
        "|---|---|---|---|---|",
    ]
    for name in CLASSIFIERS:
        share = mean_sd([r["classifiers"][name]["ink_share"] for r in results])
        accuracy = mean_sd([r["classifiers"][name]["accuracy"] for r in results])
        lines.append(
            f"| {name} | {100 * share[0]:.1f} ± {100 * share[1]:.1f} | "
            f"{_paired(results, name, 'ink_share')} | {100 * accuracy[0]:.1f} ± "
            f"{100 * accuracy[1]:.1f} | {_paired(results, name, 'accuracy')} |"
        )
    skipped = sum(r["classifiers"][n]["no_positive_relevance"] for r in results
                  for n in CLASSIFIERS)
    lines += [
        "",
        "Mean ± sd over seeds; paired differences are per-seed differences with the plain "
        f"classifier. Test images without positive relevance (left out of the mean): "
        f"{skipped} over all seeds and classifiers.",
        "",
        f"![relevance heatmaps]({os.path.basename(plot)})",
        "",
        f"Compute: {seconds / 60:.1f} minutes (sum of per-seed wall times; other work "
        "shared the machine).",
    ]
    path = os.path.join(out_dir, "relevance.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, tiny budgets")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0-4)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="directory of relevance.md, relevance.png and the cache")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    try:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(budget.seeds)
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers; got {args.seeds!r}")
    results = [load_or_run(seed, budget, args.out) for seed in seeds]
    command = "python -m benchmarks.relevance" + (" --quick" if args.quick else "")
    path = write_report(results, budget, args.out, command)
    print(f"[relevance] report: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
