"""Efficacy benchmark: does generative augmentation beat plain, classic and oversampling?

On the bundled digits (at their native 8x8, fixed 1258/539 split) it trains the same `small_cnn`
(same optimiser, same number of gradient steps, same batch size) under every condition
of `tfgenaug.evaluation.CONDITIONS`, in four cases:

- `n5`, `n10`, `n20`: low data, that many seeded-random images per class;
- `imbalance20`: all images, but 5 seeded-random classes keep 1/20 of the largest class;
- `transfer5`: DAGAN's few-shot protocol (issue 21): digits 0-4 keep all their images,
  5-9 keep 5 seeded-random images each; the generators train on that whole set, so what
  they learn of the common classes can carry to the rare ones.

For each case and seed a WGAN-GP and a DCGAN generator are trained on exactly the
classifier's training images (`tfgenaug.runs.train_generator`) and exported; the
GAN conditions sample from the export with `GANAugment`. Random oversampling and SMOTE are
run only in the imbalance case: on balanced data they change nothing.

Every finished cell (case, condition, seed) is cached as JSON under
`<out_dir>/cells/`, and every trained generator's label agreement under
`<out_dir>/generators/`, so an interrupted run resumes where it stopped: run the same
command again. Generators live in `--work_dir` (not committed); a lost one is retrained
only if a cell still needs it. The report (`efficacy.md`, `efficacy.png`) is rewritten
from all cached cells at the end of each run, and `--report_only` rewrites it alone (keeping
the `Machine:` line of the run that wrote it, so an unchanged cache gives the same file).

Usage:
    python -m benchmarks.efficacy                 # the full table, hours on 2 cores
    python -m benchmarks.efficacy --cases=n5 --seeds=0   # part of it
    python -m benchmarks.efficacy --quick --out_dir=/tmp/eff   # smoke run, a few minutes
"""

import argparse
import dataclasses
import functools
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks import efficacy_report as report  # noqa: E402
from tfgenaug import data  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug import runs  # noqa: E402
from tfgenaug import savedmodels  # noqa: E402
from tfgenaug.evaluation import EvalConfig  # noqa: E402
from tfgenaug.evaluation import catalog  # noqa: E402
from tfgenaug.evaluation import evaluate_condition  # noqa: E402
from tfgenaug.evaluation import generator_run_fields  # noqa: E402
from tfgenaug.evaluation import registry  # noqa: E402
from tfgenaug.evaluation.conditions import filtered as filtered_condition  # noqa: E402
from tfgenaug.evaluation.conditions import stda as stda_condition  # noqa: E402
from tfgenaug.evaluation.generator_runs import LONG_STEPS_MULTIPLIER  # noqa: E402
from tfgenaug.runs.generator_recipes import takes_n_critic  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "efficacy")
DEFAULT_WORK = os.path.join("runs", "efficacy")
CASES = ("n5", "n10", "n20", "imbalance20", "transfer5")
# The rows and the cases they run in come from the condition registry
# (tfgenaug.evaluation.catalog), in its order, which is the table's.
LOW_DATA_CONDITIONS = registry.conditions_in(registry.LOW_DATA)
IMBALANCE_CONDITIONS = registry.conditions_in(registry.IMBALANCE)
TRANSFER_CONDITIONS = registry.conditions_in(registry.TRANSFER)
ALL_CONDITIONS = tuple(name for name in registry.names()
                       if registry.get(name).benchmark_cases)
NUM_CLASSES = 10
NUM_MINORITY = 5
IMBALANCE_RATIO = 0.05
TRANSFER_RARE_CLASSES = (5, 6, 7, 8, 9)
TRANSFER_COUNT = 5


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much training each cell gets."""

    image_size: int
    classifier_steps: int
    classifier_width: int
    gan_steps: int
    gan_checkpoint_every: int
    dada_epochs: int
    dada_gan_epochs: int
    judge_epochs: int
    seeds: tuple[int, ...]
    # XLA for the generators. The smoke run turns it off: a compile costs more than its
    # ten steps (measured ~9 s per WGAN-GP run); the trainers' XLA path has its own tests.
    gan_jit_compile: bool = True
    # Critic steps per generator step of the trainers that take them (None: the runs'
    # defaults). The full budget pins 5, what every committed cell was trained with
    # (wgan_gp runs default to 3 since 2026-12-06). The smoke run takes one: its ten
    # steps check the pipeline, not the GAN.
    gan_n_critic: int | None = None


# 8x8 is the digits' own resolution: upsampling to 16 px added no information and made
# every cell 2x (classifier) to 8x (WGAN-GP) slower, which put the table at ~12 hours
# instead of the 3 (measured 2026-11-30, quiet machine).
FULL = Budget(image_size=8, classifier_steps=1500, classifier_width=32, gan_steps=1500,
              gan_checkpoint_every=250, dada_epochs=700, dada_gan_epochs=200, judge_epochs=30,
              seeds=(0, 1, 2, 3, 4), gan_n_critic=5)
QUICK = Budget(image_size=8, classifier_steps=20, classifier_width=8, gan_steps=10,
               gan_checkpoint_every=10, dada_epochs=3, dada_gan_epochs=1, judge_epochs=1,
               seeds=(0,), gan_jit_compile=False, gan_n_critic=1)


def minority_classes(seed: int) -> tuple[int, ...]:
    """The 5 classes made rare in the imbalance case for `seed` (seeded, sorted)."""
    rng = np.random.default_rng(1000 + seed)
    return tuple(sorted(int(k) for k in rng.choice(NUM_CLASSES, NUM_MINORITY, replace=False)))


@functools.cache
def transfer_ratio() -> float:
    """The imbalance ratio that leaves `TRANSFER_COUNT` images in a rare class of digits.

    `tfgenaug.data.imbalance` keeps `int(ratio * largest class)` images; half an image
    more than the count keeps the floor clear of rounding.
    """
    _, _, info = data.load("digits", image_size=None)
    return (TRANSFER_COUNT + 0.5) / max(info.train_counts)


def case_fields(case: str, seed: int) -> dict:
    """The data-selection fields shared by the classifier and the generators of a case."""
    if case.startswith("n"):
        return {"count": int(case[1:])}
    if case == "imbalance20":
        return {"minority_classes": minority_classes(seed), "imbalance_ratio": IMBALANCE_RATIO}
    if case == "transfer5":
        return {"minority_classes": TRANSFER_RARE_CLASSES, "imbalance_ratio": transfer_ratio()}
    raise ValueError(f"case must be one of {list(CASES)}; got {case!r}")


# The smoke run (--quick, a CI test) covers every code path of this script once but not
# every row: pgd shares fgsm's, dada and dcgan share wgan_gp's GANAugment path (dcgan's
# trainer is tested with the trainers), wgan_gp_diffaug is wgan_gp with one more trainer
# flag, stda is one `evaluate_condition` call like plain (tests/evaluation covers it);
# the imbalance case only adds resampling and class-balanced generation. Each condition
# has its own unit tests, and each report section its test with hand-made cells.
QUICK_CONDITIONS = {
    "n5": ("plain", "classic", "wgan_gp", "classic+wgan_gp", "wgan_gp_filtered",
           "same_class_mix", "fgsm", "self_training", "dada_classifier_aug"),
    "imbalance20": ("plain", "oversample", "smote", "wgan_gp"),
}


def conditions_of(case: str, quick: bool = False) -> tuple[str, ...]:
    """The conditions run in `case`."""
    if quick:
        return QUICK_CONDITIONS.get(case, ())
    if case.startswith("transfer"):
        return TRANSFER_CONDITIONS
    return IMBALANCE_CONDITIONS if case.startswith("imbalance") else LOW_DATA_CONDITIONS


def ensure_run(trainer: str, case: str, seed: int, budget: Budget, out_dir: str,
               work_dir: str, aug: bool = False) -> str:
    """Trains and exports the run of `(trainer, case, seed)` unless it exists.

    DADA runs use the reference's settings (batch 100, `gan_epochs`/`epochs` over the
    few-shot set, width multiplier 0.25); `aug=True` is DADA's `--aug`.

    Returns:
        The run's `model_dir`; its generator's SavedModel is in `model_dir/export`.
    """
    name = trainer + ("_aug" if aug else "")
    model_dir = os.path.join(work_dir, case, name, f"seed{seed}")
    export_dir = os.path.join(model_dir, "export")
    if os.path.isdir(export_dir) and savedmodels.list_versions(export_dir):
        return model_dir
    start = time.perf_counter()
    print(f"[efficacy] training {name} for {case} seed {seed}", flush=True)
    fields = generator_run_fields(trainer, budget.gan_steps)
    if fields["trainer"] == "dada":  # the reference's schedule; dada_semi adds unlabelled
        fields = {"trainer": "dada", "batch_size": 100, "epochs": budget.dada_epochs,
                  "gan_epochs": budget.dada_gan_epochs, "aug": aug,
                  **{k: v for k, v in fields.items() if k == "unlabelled"}}
    config = runs.TrainConfig(
        image_size=budget.image_size,
        checkpoint_every=budget.gan_checkpoint_every, model_dir=model_dir, seed=seed,
        judge_epochs=budget.judge_epochs, export_dir=export_dir,
        jit_compile=budget.gan_jit_compile, **fields,
        **({"n_critic": budget.gan_n_critic} if budget.gan_n_critic is not None
           and takes_n_critic(fields["trainer"]) else {}),
        **case_fields(case, seed),
    )
    metrics = runs.train_generator(config, verbose=0)
    metrics.pop("export_path", None)
    metrics.update({"case": case, "trainer": name, "seed": seed,
                    "seconds": time.perf_counter() - start,
                    "train_config": dataclasses.asdict(config)})
    jsonio.write_json(os.path.join(out_dir, "generators", case, name, f"seed{seed}.json"), metrics)
    return model_dir


def run_cell(case: str, condition: str, seed: int, budget: Budget, out_dir: str,
             work_dir: str) -> bool:
    """Runs one cell unless it is cached. Returns True if it ran."""
    path = report.cell_path(os.path.join(out_dir, "cells"), case, condition, seed)
    if os.path.exists(path):
        return False
    generator = None
    entry = registry.get(condition)
    if entry.generator_run:
        model_dir = ensure_run(entry.generator_run, case, seed, budget, out_dir, work_dir,
                               aug=bool(entry.run_options.get("aug", False)))
        # The DADA classifier rows read the run itself; the others sample its export.
        generator = model_dir if entry.reads_run else os.path.join(model_dir, "export")
    config = EvalConfig(
        condition=condition, image_size=budget.image_size, seed=seed,
        steps=budget.classifier_steps, width=budget.classifier_width, generator=generator,
        **case_fields(case, seed),
    )
    result = evaluate_condition(config)
    result["case"] = case
    result["config"]["generator"] = os.path.relpath(generator, work_dir) if generator else None
    jsonio.write_json(path, result)
    metric = report.headline(case)
    print(f"[efficacy] {case:12s} {condition:16s} seed {seed}: {metric} "
          f"{result[metric]:.4f} ({result['seconds']:.0f} s)", flush=True)
    return True


def load_generator_metrics(out_dir: str) -> list[dict]:
    """Every cached generator record."""
    return common.json_records(os.path.join(out_dir, "generators"))


def previous_machine_line(path: str) -> str | None:
    """The `Machine:` line of the report at `path`, or None if there is none."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return next((line.rstrip("\n") for line in f if line.startswith("Machine: ")), None)


def write_report(out_dir: str, cases, command: str, budget: Budget,
                 machine: str | None = None) -> str:
    """Writes `efficacy.md` and `efficacy.png` in `out_dir` from the cached cells.

    `machine` is the report's `Machine:` line (default: this machine, now).
    """
    cells = report.load_cells(os.path.join(out_dir, "cells"))
    plot = report.plot_png(cells, cases, ALL_CONDITIONS, os.path.join(out_dir, "efficacy.png"))
    seconds = sum(r["seconds"] for per_seed in cells.values() for r in per_seed.values())
    generators = load_generator_metrics(out_dir)
    seconds += sum(g["seconds"] for g in generators)
    lines = [
        "# Efficacy of generative augmentation on digits",
        "",
        f"Command: `{command}`",
        "",
        machine or common.machine_line(),
        "",
        f"Classifier: small_cnn (width {budget.classifier_width}), Adam 1e-3, "
        f"{budget.classifier_steps} steps of batch 64 in every condition; "
        f"{budget.image_size}x{budget.image_size} images; test on the fixed test split "
        "(539 images). GAN conditions: half of each batch generated (`GANAugment(rate=0.5)`; "
        "uniform classes on balanced data, ∝ 1/count on imbalanced data). Generators: "
        f"{budget.gan_steps} generator steps ({LONG_STEPS_MULTIPLIER}x as many for "
        "`wgan_gp_long`), trained per case and seed on exactly the "
        "classifier's images. Oversampling and SMOTE run only in the imbalance case. "
        "Adversarial rows: half of each batch replaced by FGSM / PGD (3 steps) examples, "
        "ε = 16/255 of the [-1, 1] range. Self-training: the rest of the train pool, "
        "unlabelled, pseudo-labelled over 2 rounds (threshold 0.95, class-balanced); each "
        "fit has the same budget and the last one is reported. DADA: the reference's "
        f"schedule ({budget.dada_gan_epochs} GAN epochs of {budget.dada_epochs}, batch 100, "
        "one step per epoch when the set is smaller than two batches), width multiplier "
        "0.25; `dada_classifier*` rows report DADA's own EMA discriminator (its budget, "
        "not the CNN's). ST-DA (low data only): a plain teacher (the `plain` row's "
        "classifier), an AdaIN decoder on its front "
        f"({stda_condition.STDA_ENCODER_LAYER}, "
        f"min({stda_condition.STDA_DECODER_STEPS}, classifier steps) steps of batch "
        f"{stda_condition.STDA_DECODER_BATCH}), each training image rendered "
        f"{stda_condition.STDA_NUM_PER_IMAGE} times in the style of another class's image, "
        f"pseudo-labelled by the teacher (kept at confidence ≥ "
        f"{stda_condition.STDA_THRESHOLD}), then the classifier's steps on real and kept "
        "images shuffled together.",
        "",
        f"Compute in the cached cells: {seconds / 3600:.2f} hours (sum of per-cell wall "
        "times, including generator training; other work shared the machine at times).",
        "",
        "## Test accuracy (low data) and balanced accuracy (imbalance), %, mean ± sd over seeds",
        "",
        report.table_markdown(cells, cases, ALL_CONDITIONS),
        "",
        f"![efficacy]({os.path.basename(plot)})",
        "",
    ]
    rare_class_cases = [c for c in cases if report.rare_classes(c)]
    for case in rare_class_cases:
        lines += [f"## {case}: details, %", "",
                  report.minority_markdown(cells, case, ALL_CONDITIONS), ""]
    stda = report.stda_markdown(cells, [c for c in cases if c.startswith("n")])
    if stda:
        lines += ["## ST-DA: pseudo-labelled images kept and the teacher", "", stda, ""]
    filtered = report.filtered_markdown(cells, [c for c in cases if c.startswith("n")])
    if filtered:
        lines += ["## WGAN-GP samples filtered by a teacher's confidence", "",
                  "A plain `small_cnn` trained on the same few images keeps a generated "
                  "sample when it predicts the sample's class with probability ≥ "
                  f"{filtered_condition.FILTER_THRESHOLD} "
                  f"({filtered_condition.FILTER_POOL_PER_CLASS} samples per class drawn); "
                  "half of each batch is real, half kept samples.", "", filtered, ""]
    diffaug = report.diffaugment_markdown(cells, generators, cases)
    if diffaug:
        lines += ["## DiffAugment: WGAN-GP generators with vs without it (paired by seed)", "",
                  "Δ = with − without, mean ± sd (seeds). Lower FID is better.", "", diffaug, ""]
    sampling = report.sampling_markdown(cells, cases)
    if sampling:
        lines += ["## GANAugment's sampling options against wgan_gp (same generators, paired "
                  "by seed)", "",
                  "`wgan_gp_quality`: each class's share of generated rows ∝ its `wgan_gp` "
                  "share times the run's judged label agreement for that class. "
                  f"`wgan_gp_truncated`: the noise truncated at {catalog.TRUNCATION}. Points, "
                  "paired by seed; a tie when the 95 % t interval holds 0.", "", sampling, ""]
    lines += ["## Goals (paired by seed)", "",
              "A margin goal (≥ + k points, within k points) is met when the mean paired "
              "difference reaches it; a \"beats\" / \"ahead\" goal when the paired 95 % t "
              "interval lies above zero (a positive mean inside the seeds' noise is a tie).",
              "", "| goal | measured | met |", "|---|---|---|"]
    for goal in report.goals(cells, cases):
        met = {True: "**met**", False: "not met", None: "—"}[goal["met"]]
        lines.append(f"| {goal['goal']} | {goal['measured']} | {met} |")
    table = report.generators_markdown(generators)
    if table:
        lines += ["", "## Generators: label agreement of their samples (a real-data judge)", "",
                  "FID, precision (P), recall (R), density (D) and coverage (C) on the judge's "
                  "features against the train split, where the run measured them (runs since "
                  "2026-12-04).", "", table]
    path = os.path.join(out_dir, "efficacy.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, tiny budgets")
    parser.add_argument("--cases", default=None,
                        help=f"comma-separated subset of {','.join(CASES)}")
    parser.add_argument("--conditions", default=None,
                        help=f"comma-separated subset of {','.join(ALL_CONDITIONS)}")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0-4)")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cells, report and plot")
    parser.add_argument("--work_dir", default=DEFAULT_WORK, help="trained generators")
    parser.add_argument("--report_only", action="store_true",
                        help="rewrite the report from the cached cells, train nothing")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    cases = args.cases.split(",") if args.cases else (["n5", "imbalance20"] if args.quick
                                                      else list(CASES))
    for case in cases:
        if case not in CASES:
            parser.error(f"--cases must be a subset of {','.join(CASES)}; got {case!r}")
    wanted = args.conditions.split(",") if args.conditions else list(ALL_CONDITIONS)
    for condition in wanted:
        if condition not in ALL_CONDITIONS:
            parser.error(f"--conditions must be a subset of {','.join(ALL_CONDITIONS)}; "
                         f"got {condition!r}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(budget.seeds)
    command = "python -m benchmarks.efficacy" + (" --quick" if args.quick else "")
    if not args.report_only:
        # Seed-major order: after each seed the table has a complete column set.
        for seed in seeds:
            for case in cases:
                for condition in conditions_of(case, quick=args.quick):
                    if condition in wanted:
                        run_cell(case, condition, seed, budget, args.out_dir, args.work_dir)
    # A rewrite from the cache keeps the line of the run that computed the cells.
    machine = (previous_machine_line(os.path.join(args.out_dir, "efficacy.md"))
               if args.report_only else None)
    path = write_report(args.out_dir, cases, command, budget, machine=machine)
    print(f"[efficacy] report: {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
