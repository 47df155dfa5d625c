"""The generator's EMA on digits: the averaged generator against the last weights, paired.

For each case and seed, the efficacy benchmark's `wgan_gp` recipe is trained once with
`g_ema_decay` (the run `wgan_gp_ema`; the EMA only watches training, so the run's own
generator is the plain `wgan_gp` generator of the same seed). Both generators of the
run then draw the same noise and labels (`--per_class` images per class), and each set
is scored on a judge trained on the whole train split, as `train_generator` scores runs:

- **label agreement**, overall and on the case's rare classes (imbalance case);
- **FID** between the train split and the samples on the judge's pooled features;
- **precision / recall / density / coverage** on the same features.

Pairs share the run, the noise and the judge: the paired difference (EMA - last
weights) over seeds, with its 95 % t interval, is the effect. Each record is cached in
`--out_dir/<case>/seed<k>.json`; the report `generator_ema.md` is rebuilt from them.

Usage:
    python -m benchmarks.generator_ema                # cases n10, imbalance20; seeds 0-4
    python -m benchmarks.generator_ema --report_only
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks import efficacy  # noqa: E402
from benchmarks import efficacy_report  # noqa: E402
from benchmarks.case_judge import case_judge  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug import metrics  # noqa: E402
from tfgenaug import runs  # noqa: E402
from tfgenaug.evaluation.generator_runs import GENERATOR_RUNS  # noqa: E402
from tfgenaug.trainers import generator_ema  # noqa: E402
from tfgenaug.trainers.noise import draw_noise  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "generator_ema")
RUN = "wgan_gp_ema"
SCORES = ("label_agreement", "rare_label_agreement", "fid", *metrics.PRDC_METRICS)
# Lower is better for these; higher for the others.
LOWER_IS_BETTER = ("fid",)


def score_arm(judge, extractor, real_features, samples: np.ndarray, wanted: np.ndarray,
              rare: tuple[int, ...]) -> dict:
    """Label agreement (all, rare classes), FID and P/R/D/C of one arm's samples."""
    features = metrics.extract_features(extractor, samples)
    scores = {"label_agreement": metrics.label_agreement(judge, samples, wanted),
              "fid": float(metrics.fid_from_features(real_features, features)),
              **metrics.precision_recall_density_coverage(real_features, features)}
    if rare:
        keep = np.isin(wanted, rare)
        scores["rare_label_agreement"] = metrics.label_agreement(judge, samples[keep],
                                                                 wanted[keep])
    return scores


def measure(case: str, seed: int, per_class: int, work_dir: str) -> dict:
    """Trains (if needed) the seed's EMA run and scores both of its generators."""
    budget = efficacy.FULL
    model_dir = efficacy.ensure_run(RUN, case, seed, budget, os.path.join(work_dir, "records"),
                                    work_dir)
    trainer = runs.trainer_from_model_dir(model_dir)
    case_data = case_judge(case, seed, budget)
    wanted = np.repeat(np.arange(case_data.num_classes, dtype="int32"), per_class)
    noise = draw_noise((len(wanted), trainer.noise_dim), trainer.noise_distribution, seed)
    # "ema_live_statistics": the averages with the live generator's batch-norm statistics
    # (no standing statistics), to tell the two parts of the EMA copy apart.
    generators = {"last": trainer.generator, "ema": trainer.sampling_generator,
                  "ema_live_statistics": generator_ema.averaged_copy(trainer.generator,
                                                                     trainer.g_ema.averages)}
    rare = tuple(case_data.fields.get("minority_classes", ()))
    arms = {}
    for arm, generator in generators.items():
        samples = np.asarray(generator([noise, tf.constant(wanted)], training=False),
                             dtype="float32")
        arms[arm] = score_arm(case_data.judge, case_data.extractor, case_data.real_features,
                              samples, wanted, rare)
        print(f"[generator_ema] {case} seed {seed} {arm}: "
              + ", ".join(f"{k} {v:.3f}" for k, v in arms[arm].items()), flush=True)
    return {"case": case, "seed": seed, "per_class": per_class,
            "g_ema_decay": GENERATOR_RUNS[RUN]["g_ema_decay"],
            "generator_steps": trainer.train_steps,
            "judge_test_accuracy": case_data.test_accuracy, "arms": arms}


def paired_cell(records: list[dict], score: str, arm: str = "ema") -> str:
    """`arm - last` over seeds: mean ± sd and the 95 % interval; which arm wins, if any."""
    ema = {r["seed"]: r["arms"][arm] for r in records
           if arm in r["arms"] and score in r["arms"][arm]}
    last = {r["seed"]: r["arms"]["last"] for r in records if score in r["arms"]["last"]}
    paired = efficacy_report.paired_difference(ema, last, score)
    if paired is None:
        return "—"
    mean, sd, n = paired
    if n < 2:
        return f"{mean:+.3f} (1 seed)"
    low, high = efficacy_report.confidence_interval(mean, sd, n)
    better = -1 if score in LOWER_IS_BETTER else 1
    verdict = ("EMA better" if better * low > 0 and better * high > 0 else
               "last better" if better * low < 0 and better * high < 0 else "tie")
    return f"{mean:+.3f} ± {sd:.3f} [{low:+.3f}, {high:+.3f}] {verdict}"


def report(by_case: dict[str, list[dict]], command: str, machine: str) -> str:
    """The Markdown report: per case, each arm's mean ± sd and the paired difference."""
    first = next(iter(by_case.values()))[0]
    lines = [
        "# The generator's EMA against its last weights (digits)",
        "",
        f"Command: `{command}`",
        "",
        machine,
        "",
        f"The efficacy benchmark's `wgan_gp` recipe at g_ema_decay = {first['g_ema_decay']} "
        f"({first['generator_steps']} generator steps; the warm-up "
        "min(decay, (1 + t) / (10 + t)) holds the decay near 0.994 at the end). Both "
        f"generators of each run draw the same noise, {first['per_class']} images per class; "
        "a judge trained on the whole train split scores them (label agreement; FID and "
        "precision/recall/density/coverage on its features against the split). "
        "Difference = EMA - last weights over the seeds, mean ± sd [95 % t interval]; an "
        "interval that holds 0 is a tie. The last column keeps the averaged weights but "
        "the live generator's batch-norm statistics instead of the copy's standing ones.",
        "",
    ]
    for case, records in by_case.items():
        seeds = ", ".join(str(r["seed"]) for r in records)
        live = all("ema_live_statistics" in r["arms"] for r in records)
        lines += [f"## {case} (seeds {seeds})", "",
                  "| score | last weights | EMA | EMA - last |"
                  + (" EMA, live statistics - last |" if live else ""),
                  "|---|---|---|---|" + ("---|" if live else "")]
        for score in SCORES:
            if not all(score in r["arms"]["ema"] for r in records):
                continue
            cells = ["{:.3f} ± {:.3f}".format(*efficacy_report.mean_sd(
                [r["arms"][arm][score] for r in records])) for arm in ("last", "ema")]
            row = f"| {score} | {cells[0]} | {cells[1]} | {paired_cell(records, score)} |"
            if live:
                row += f" {paired_cell(records, score, 'ema_live_statistics')} |"
            lines.append(row)
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="n10,imbalance20", help="comma-separated cases")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds")
    parser.add_argument("--per_class", type=int, default=100, help="samples per class")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cached records and report")
    parser.add_argument("--work_dir", default=os.path.join("runs", "generator_ema"))
    parser.add_argument("--report_only", action="store_true",
                        help="rebuild the report from the cached records")
    args = parser.parse_args(argv)
    cases = args.cases.split(",")
    unknown = [case for case in cases if case not in efficacy.CASES]
    if unknown:
        parser.error(f"--cases must be among {list(efficacy.CASES)}; got {unknown}")
    if args.per_class <= 5:
        parser.error(f"--per_class must be > 5 (coverage's k); got {args.per_class}")
    if not args.report_only:
        for case in cases:
            for seed in [int(s) for s in args.seeds.split(",")]:
                path = os.path.join(args.out_dir, case, f"seed{seed}.json")
                if not os.path.exists(path):
                    record = measure(case, seed, args.per_class, args.work_dir)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    jsonio.write_json(path, record)
    by_case = {case: common.json_records(os.path.join(args.out_dir, case)) for case in cases}
    by_case = {case: records for case, records in by_case.items() if records}
    if not by_case:
        parser.error(f"--out_dir={args.out_dir} holds no record; run without --report_only")
    report_path = os.path.join(args.out_dir, "generator_ema.md")
    machine = (efficacy.previous_machine_line(report_path) if args.report_only else None
               ) or common.machine_line()
    command = common.command_line("benchmarks.generator_ema", argv)
    common.write_markdown(report_path, report(by_case, command, machine))
    print(f"[generator_ema] wrote {report_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
