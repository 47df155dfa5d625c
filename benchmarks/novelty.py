"""Are the efficacy benchmark's generated images new, or near-copies of the training set?

Issue 5's textbook measurement found that WGAN-GP samples that a real-data judge labels
correctly still add nothing to a classifier, and guessed why: near-copies of a handful
of images carry no new information. This script measures it on the generators the
efficacy benchmark trained (`<work_dir>/<case>/<trainer>/seed<k>/export`): for each,
`--per_class` samples per class are compared with the exact images the generator was
trained on (`tfgenaug.evaluation.select_training_data`, the same selection) by
`tfgenaug.metrics.novelty_ratio`: the median pixel distance of a sample to its nearest
training image of the same class over that of an unseen real test image. 1 = as new as
fresh real data; 0 = copies.

Nothing is trained: a generator missing from `--work_dir` is skipped (run
`python -m benchmarks.efficacy` first). Writes `<out>` (Markdown).

Usage:
    python -m benchmarks.novelty                              # every export found
    python -m benchmarks.novelty --work_dir=/tmp/eff/work --out=/tmp/novelty.md
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks import efficacy  # noqa: E402
from benchmarks import efficacy_report  # noqa: E402
from tfgenaug import metrics  # noqa: E402
from tfgenaug import savedmodels  # noqa: E402
from tfgenaug.evaluation import EvalConfig  # noqa: E402
from tfgenaug.evaluation.runner import select_training_data  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "novelty.md")
DEFAULT_WORK = os.path.join("runs", "efficacy")


def find_exports(work_dir: str) -> list[tuple[str, str, int, str]]:
    """`(case, trainer, seed, export_dir)` of every finished export under `work_dir`."""
    found = []
    for case in efficacy.CASES:
        case_dir = os.path.join(work_dir, case)
        if not os.path.isdir(case_dir):
            continue
        for trainer in sorted(os.listdir(case_dir)):
            for name in sorted(os.listdir(os.path.join(case_dir, trainer))):
                export_dir = os.path.join(case_dir, trainer, name, "export")
                if (name.startswith("seed") and name[4:].isdigit() and os.path.isdir(export_dir)
                        and savedmodels.list_versions(export_dir)):
                    found.append((case, trainer, int(name[4:]), export_dir))
    return found


def measure(case: str, seed: int, export_dir: str, image_size: int, per_class: int) -> dict:
    """The novelty of one exported generator against its own training images."""
    config = EvalConfig(image_size=image_size, seed=seed, **efficacy.case_fields(case, seed))
    images, labels, test_images, test_labels, info = select_training_data(config)
    generator = savedmodels.load(export_dir)
    wanted = np.repeat(np.arange(info.num_classes, dtype="int32"), per_class)
    samples = np.asarray(generator(wanted, seed=seed)) * 2.0 - 1.0  # [0, 1] -> data range
    return metrics.novelty_ratio(samples, wanted, images, labels, test_images, test_labels)


def report(rows: list[dict], command: str) -> str:
    """The Markdown report: one line per case and trainer, mean ± sd over seeds."""
    lines = [
        "# Novelty of the efficacy benchmark's generated images",
        "",
        f"Command: `{command}`",
        "",
        common.machine_line(),
        "",
        "Ratio = median pixel distance from a sample to its nearest training image of the "
        "same class, over the same for an unseen real test image (1: as new as fresh real "
        "data, 0: copies). Copies = share of samples closer to a training image than the "
        "closest 1 % of test images are. Mean ± sd over seeds.",
        "",
        "| case | trainer | ratio | copies % | sample distance | test distance | seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["case"], row["trainer"]), []).append(row)

    def fmt(values, scale=1.0, digits=2):
        mean, sd = efficacy_report.mean_sd([scale * v for v in values])
        return f"{mean:.{digits}f} ± {sd:.{digits}f}"

    for (case, trainer), group in groups.items():
        lines.append(
            f"| {case} | {trainer} | {fmt([g['ratio'] for g in group])} "
            f"| {fmt([g['copies'] for g in group], 100, 0)} "
            f"| {fmt([g['generated_median'] for g in group])} "
            f"| {fmt([g['test_median'] for g in group])} | {len(group)} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work_dir", default=DEFAULT_WORK,
                        help="the efficacy benchmark's generator runs")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the Markdown results file")
    parser.add_argument("--per_class", type=int, default=100, help="samples per class")
    parser.add_argument("--image_size", type=int, default=efficacy.FULL.image_size,
                        help="the image side the generators were trained at")
    args = parser.parse_args(argv)
    if args.per_class < 1:
        parser.error(f"--per_class must be >= 1; got {args.per_class}")
    exports = find_exports(args.work_dir)
    if not exports:
        parser.error(f"--work_dir={args.work_dir} holds no generator export; run "
                     "python -m benchmarks.efficacy first")
    rows = []
    for case, trainer, seed, export_dir in exports:
        result = measure(case, seed, export_dir, args.image_size, args.per_class)
        rows.append({"case": case, "trainer": trainer, "seed": seed, **result})
        print(f"[novelty] {case:12s} {trainer:16s} seed {seed}: ratio {result['ratio']:.2f}",
              flush=True)
    command = common.command_line("benchmarks.novelty", argv)
    text = report(rows, command)
    common.write_markdown(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
