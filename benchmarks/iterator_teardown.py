"""How long deleting an old tf.data iterator takes, with and without autotuning.

In the test suite, tests sat idle for 25-60 s with every thread asleep; gdb showed the main
thread inside a garbage collection, destroying a tf.data iterator
(`RootDataset::Iterator::~Iterator`, waiting for its autotuning thread), while that
thread slept in `Model::OptimizeLoop`. The autotuning thread's sleep between
optimisations doubles up to a minute as the iterator ages, and deleting the iterator is
meant to wake it. This reproduces it in plain TensorFlow, without tfgenaug: each process
makes `--iterators` iterators over `range().map(AUTOTUNE).prefetch(AUTOTUNE)`, takes one
element from each, waits `--age` seconds, then deletes them one by one and times each
deletion. The `autotune_off` variant sets `Options.autotune.enabled = False` and is
otherwise the same:

    python -m benchmarks.iterator_teardown --rounds=3

The two variants of a round run at the same time (their processes mostly sleep); each
finished cell is cached as JSON under `--out_dir/cells`, so a rerun measures only what is
missing.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join("benchmarks", "results", "iterator_teardown")
VARIANTS = ("autotune_on", "autotune_off")
# A deletion slower than this counts as a stall (a normal one takes milliseconds).
STALL_SECONDS = 1.0


def measure(iterators: int, age: float, autotune: bool) -> list[float]:
    """Seconds each deletion took, in deletion order (newest iterator first)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = autotune
    live = []
    for _ in range(iterators):
        dataset = (tf.data.Dataset.range(10**9)
                   .map(lambda x: x + 1, num_parallel_calls=tf.data.AUTOTUNE)
                   .prefetch(tf.data.AUTOTUNE)
                   .with_options(options))
        iterator = iter(dataset)
        next(iterator)
        live.append(iterator)
    time.sleep(age)
    seconds = []
    while live:
        iterator = live.pop()
        start = time.monotonic()
        del iterator
        seconds.append(time.monotonic() - start)
    return seconds


def _start_cell(variant: str, iterators: int, age: float) -> subprocess.Popen:
    code = ("import json; from benchmarks import iterator_teardown as t; "
            f"print(json.dumps(t.measure({iterators}, {age}, {variant == 'autotune_on'})))")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def run_round(out_dir: str, round_index: int, iterators: int, age: float) -> None:
    """Runs the variants of one round that are not cached yet, at the same time."""
    started = {variant: _start_cell(variant, iterators, age) for variant in VARIANTS
               if not os.path.exists(common.round_cell_path(out_dir, round_index, variant))}
    for variant, process in started.items():
        stdout, stderr = process.communicate(timeout=age + 600)
        if process.returncode != 0:
            raise RuntimeError(f"{variant} failed:\n{stderr[-3000:]}")
        seconds = json.loads(stdout.strip().splitlines()[-1])
        jsonio.write_json(common.round_cell_path(out_dir, round_index, variant), {
            "variant": variant, "round": round_index, "iterators": iterators, "age": age,
            "deletion_seconds": seconds, "finished": common.utc_now()})


def report(cells: list[dict], command: str) -> str:
    rows = ["| variant | round | iterators | age s | slowest deletion s | deletions over "
            f"{STALL_SECONDS:g} s | all deletions s |", "|---|---|---|---|---|---|---|"]
    for cell in sorted(cells, key=lambda c: (c["variant"], c["round"])):
        seconds = cell["deletion_seconds"]
        rows.append(f"| {cell['variant']} | {cell['round']} | {cell['iterators']} | "
                    f"{cell['age']:g} | {max(seconds):.2f} | "
                    f"{sum(s > STALL_SECONDS for s in seconds)} | {sum(seconds):.2f} |")
    stalls = {v: sum(sum(s > STALL_SECONDS for s in c["deletion_seconds"])
                     for c in cells if c["variant"] == v) for v in VARIANTS}
    return "\n".join([
        "# Deleting old tf.data iterators: autotuning on and off",
        "",
        f"Command: `{command}`. {common.cached_table_machine_line(cells)}",
        "",
        *rows,
        "",
        f"Deletions over {STALL_SECONDS:g} s: autotune on {stalls['autotune_on']}, autotune "
        f"off {stalls['autotune_off']} (of {sum(len(c['deletion_seconds']) for c in cells) // 2}"
        " each). Stalls come in some deletions only, so this counts them rather than "
        "comparing means; a stall that lasts ~60 s is the autotuning thread's whole "
        "sleep at its longest period, i.e. the deletion's wake-up never reached it.",
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterators", type=int, default=30)
    parser.add_argument("--age", type=float, default=90.0,
                        help="seconds the iterators live before they are deleted")
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.iterators < 1 or args.age < 0:
        parser.error("--rounds and --iterators must be >= 1 and --age >= 0; got "
                     f"{args.rounds}, {args.iterators}, {args.age}")
    for round_index in range(args.rounds):
        run_round(args.out_dir, round_index, args.iterators, args.age)
    common.write_cells_report(args.out_dir, "benchmarks.iterator_teardown", report, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
