"""DAGAN recipe trials on imbalance20 at seed 9 (not one of the efficacy seeds 0-4).

Each variant `steps:learning_rate:width:critic_width[:noise_dim[:image_size]]` trains a
DAGAN run on the efficacy benchmark's imbalance20 selection for seed 9, then the `dagan`
condition's classifier on it, and caches a JSON record (label agreement overall and on
the rare classes, the classifier's balanced accuracy and minority recall, generator
seconds) in `--out_dir`; a cached variant is printed, not retrained. Runs live in
`--work_dir`.

Usage:
    python -m benchmarks.dagan_tune 1500:1e-4:16:32 1500:2e-4:16:32 1500:1e-4:16:32:8:16
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import efficacy  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug import runs  # noqa: E402
from tfgenaug.evaluation import EvalConfig  # noqa: E402
from tfgenaug.evaluation import evaluate_condition  # noqa: E402

SEED = 9
CASE = "imbalance20"
DEFAULT_OUT = os.path.join("benchmarks", "results", "dagan_tune")


def parse_variant(text: str) -> dict:
    """`steps:learning_rate:width:critic_width[:noise_dim[:image_size]]` as a dict.

    Without `noise_dim` or `image_size`, the run takes `TrainConfig`'s noise size and
    the benchmark's image size.
    """
    fields = text.split(":")
    if not 4 <= len(fields) <= 6:
        raise ValueError("a variant is steps:learning_rate:width:critic_width"
                         f"[:noise_dim[:image_size]]; got {text!r}")
    variant = {"steps": int(fields[0]), "learning_rate": float(fields[1]),
               "width": int(fields[2]), "critic_width": int(fields[3])}
    for key, value in zip(("noise_dim", "image_size"), fields[4:], strict=False):
        variant[key] = int(value)
    return variant


def variant_name(variant: dict) -> str:
    """The cache name: `s{steps}_lr{rate}_w{width}_cw{critic_width}[_z{noise}][_px{size}]`."""
    name = "s{steps}_lr{learning_rate}_w{width}_cw{critic_width}".format(**variant)
    if "noise_dim" in variant:
        name += f"_z{variant['noise_dim']}"
    if "image_size" in variant:
        name += f"_px{variant['image_size']}"
    return name


def run_variant(variant: dict, out_dir: str, work_dir: str) -> dict:
    """Trains, evaluates and caches one variant unless it is cached."""
    name = variant_name(variant)
    path = os.path.join(out_dir, f"{name}.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    model_dir = os.path.join(work_dir, name)
    fields = efficacy.case_fields(CASE, SEED)
    image_size = variant.get("image_size", efficacy.FULL.image_size)
    start = time.perf_counter()
    config = runs.TrainConfig(
        trainer="dagan", checkpoint_every=variant["steps"], model_dir=model_dir, seed=SEED,
        export_dir=os.path.join(model_dir, "export"),
        **{"image_size": image_size, **variant}, **fields)
    metrics = runs.train_generator(config, verbose=0)
    seconds = time.perf_counter() - start
    result = evaluate_condition(EvalConfig(
        condition="dagan", image_size=image_size, seed=SEED,
        steps=efficacy.FULL.classifier_steps, width=efficacy.FULL.classifier_width,
        generator=os.path.join(model_dir, "export"), **fields))
    per_class = metrics["label_agreement_per_class"]
    record = {"variant": name, **variant, "label_agreement": metrics["label_agreement"],
              "minority_agreement": float(np.mean([per_class[k]
                                                   for k in fields["minority_classes"]])),
              "balanced_accuracy": result["balanced_accuracy"],
              "minority_recall": result["minority_recall"], "generator_seconds": seconds}
    jsonio.write_json(path, record)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+",
                        help="steps:learning_rate:width:critic_width[:noise_dim[:image_size]]")
    parser.add_argument("--out_dir", default=DEFAULT_OUT, help="cached records")
    parser.add_argument("--work_dir", default=os.path.join("runs", "dagan_tune"))
    args = parser.parse_args(argv)
    for text in args.variants:
        print(json.dumps(run_variant(parse_variant(text), args.out_dir, args.work_dir)),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
