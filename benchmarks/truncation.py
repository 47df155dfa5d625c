"""The truncation trick on digits: label agreement, novelty and coverage against t.

For each seed, the efficacy benchmark's `wgan_gp` run of `--case` (trained here into
`--work_dir` if missing, exactly as `python -m benchmarks.efficacy` trains it) samples
`--per_class` images per class at each truncation t (noise redrawn where |z| > t; "none"
is plain N(0, 1) noise), all from the same seed. Each set is scored by:

- **label agreement**: a judge (`metrics.train_reference_classifier`, 30 epochs) trained
  on the whole train split, as `train_generator` scores runs;
- **novelty** (`metrics.novelty_ratio`): how far samples lie from the images the
  generator saw, relative to unseen real images (1 = as new as real data, 0 = copies);
- **precision / recall / density / coverage** (`metrics.precision_recall_density_coverage`)
  on the judge's features, against the train split.

Each seed's record is cached in `--out_dir/seed<k>.json`; the report `truncation.md` and
the plot `truncation.png` are rebuilt from the cache.

Usage:
    python -m benchmarks.truncation                 # seeds 0-2, case n10
    python -m benchmarks.truncation --report_only
"""

import argparse
import glob
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks import efficacy  # noqa: E402
from benchmarks import efficacy_report  # noqa: E402
from benchmarks.case_judge import case_judge  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug import metrics  # noqa: E402
from tfgenaug import savedmodels  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "truncation")
TRUNCATIONS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, None)
SCORES = ("label_agreement", "novelty_ratio", *metrics.PRDC_METRICS)


def t_name(truncation: float | None) -> str:
    """The table's name of a truncation: `"0.5"`, or `"none"`."""
    return "none" if truncation is None else f"{truncation:g}"


def measure_seed(case: str, seed: int, per_class: int, work_dir: str) -> dict:
    """Trains (if needed) the seed's generator and scores its samples at every t."""
    budget = efficacy.FULL
    model_dir = efficacy.ensure_run("wgan_gp", case, seed, budget,
                                    os.path.join(work_dir, "records"), work_dir)
    case_data = case_judge(case, seed, budget)
    judge, extractor, real_features = (case_data.judge, case_data.extractor,
                                       case_data.real_features)
    generator = savedmodels.load(os.path.join(model_dir, "export"))
    wanted = np.repeat(np.arange(case_data.num_classes, dtype="int32"), per_class)
    rows = {}
    for truncation in TRUNCATIONS:
        samples = np.asarray(generator(wanted, seed=seed, truncation=truncation)) * 2.0 - 1.0
        novelty = metrics.novelty_ratio(samples, wanted, case_data.images, case_data.labels,
                                        case_data.test_images, case_data.test_labels)
        manifold = metrics.precision_recall_density_coverage(
            real_features, metrics.extract_features(extractor, samples))
        rows[t_name(truncation)] = {
            "label_agreement": metrics.label_agreement(judge, samples, wanted),
            "novelty_ratio": novelty["ratio"], **manifold}
        print(f"[truncation] seed {seed} t={t_name(truncation)}: "
              + ", ".join(f"{k} {v:.3f}" for k, v in rows[t_name(truncation)].items()),
              flush=True)
    return {"case": case, "seed": seed, "per_class": per_class,
            "judge_test_accuracy": case_data.test_accuracy, "truncations": rows}


def report(records: list[dict], command: str, machine: str) -> str:
    """The Markdown table: each score's mean ± sd over seeds, one row per truncation."""
    case = records[0]["case"]
    lines = [
        "# The truncation trick: fidelity against variety (digits)",
        "",
        f"Command: `{command}`",
        "",
        machine,
        "",
        f"The efficacy benchmark's `wgan_gp` generator of case `{case}` (one per seed), "
        f"{records[0]['per_class']} samples per class at each truncation t; seeds "
        f"{', '.join(str(r['seed']) for r in records)}, mean ± sd. Label agreement by a "
        "judge trained on the whole train split (its test accuracy "
        f"{efficacy_report.mean_sd([r['judge_test_accuracy'] for r in records])[0]:.3f}); "
        "novelty 1 = as new as unseen real images, 0 = copies; precision/recall/density/"
        "coverage on the judge's features against the train split.",
        "",
        "![truncation](truncation.png)",
        "",
        "| t | " + " | ".join(SCORES) + " |",
        "|---|" + "---|" * len(SCORES),
    ]
    for name in [t_name(t) for t in TRUNCATIONS]:
        cells = []
        for score in SCORES:
            mean, sd = efficacy_report.mean_sd([r["truncations"][name][score] for r in records])
            cells.append(f"{mean:.3f} ± {sd:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def plot_png(records: list[dict], path: str) -> str:
    """Each score's mean over seeds against t (t = none drawn at 3)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    xs = [3.0 if t is None else t for t in TRUNCATIONS]
    for score in SCORES:
        if score == "density":  # not a share: on its own scale above 1
            continue
        means = [np.mean([r["truncations"][t_name(t)][score] for r in records])
                 for t in TRUNCATIONS]
        axes.plot(xs, means, marker="o", label=score)
    axes.set_xticks(xs, [t_name(t) for t in TRUNCATIONS])
    axes.set_xlabel("truncation t (none = plain normal noise)")
    axes.set_ylabel("mean over seeds")
    axes.set_ylim(0, 1.05)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="n10", choices=sorted(efficacy.CASES))
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--per_class", type=int, default=100, help="samples per class")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cached records and report")
    parser.add_argument("--work_dir", default=os.path.join("runs", "truncation"))
    parser.add_argument("--report_only", action="store_true",
                        help="rebuild the report from the cached records")
    args = parser.parse_args(argv)
    if args.per_class <= 5:
        parser.error(f"--per_class must be > 5 (coverage's k); got {args.per_class}")
    os.makedirs(args.out_dir, exist_ok=True)
    if not args.report_only:
        for seed in [int(s) for s in args.seeds.split(",")]:
            path = os.path.join(args.out_dir, f"seed{seed}.json")
            if not os.path.exists(path):
                jsonio.write_json(path, measure_seed(args.case, seed, args.per_class,
                                                     args.work_dir))
    records = []
    for path in sorted(glob.glob(os.path.join(args.out_dir, "seed*.json"))):
        with open(path) as f:
            records.append(json.load(f))
    if not records:
        parser.error(f"--out_dir={args.out_dir} holds no record; run without --report_only")
    report_path = os.path.join(args.out_dir, "truncation.md")
    machine = (efficacy.previous_machine_line(report_path) if args.report_only else None
               ) or common.machine_line()
    command = common.command_line("benchmarks.truncation", argv)
    common.write_markdown(report_path, report(records, command, machine))
    plot_png(records, os.path.join(args.out_dir, "truncation.png"))
    print(f"[truncation] wrote {report_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
