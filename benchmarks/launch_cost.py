"""What one binary run costs the tests: a new interpreter against a fork of the zygote.

The end-to-end tests run `python -m tfgenaug.bin.*` dozens of times. `tests/launch.py`
forks those runs from a process that imported TensorFlow, Keras and tfgenaug once; this
times the same tiny training run both ways, interleaved (the order rotates each round),
and writes the medians, spreads and their ratio:

    python -m benchmarks.launch_cost --rounds=5

Each run is a 4-step WGAN-GP on 8x8 digits without XLA, into a fresh model dir. The
zygote is started (and has imported) before the first timed round.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from benchmarks import common
from tests import launch

DEFAULT_OUT = os.path.join("benchmarks", "results", "launch_cost.md")
TINY_TRAIN = ["-m", "tfgenaug.bin.train", "--image_size=8", "--width=4", "--critic_width=4",
              "--noise_dim=8", "--batch_size=16", "--judge_epochs=0", "--nojit_compile",
              "--checkpoint_every=2", "--steps=4"]


def train_run(start, work_dir: str):
    """A zero-argument callable: one tiny training run started by `start`, checked."""
    def run():
        model_dir = os.path.join(work_dir, "run")
        shutil.rmtree(model_dir, ignore_errors=True)
        result = start([sys.executable, *TINY_TRAIN, f"--model_dir={model_dir}"],
                       timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"the training run failed:\n{result.stderr[-3000:]}")
    return run


def new_interpreter(args, timeout):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def report(times: dict[str, list[float]], rounds: int, command: str,
           load: str = "Load: unknown.") -> str:
    ratio = common.ratios(times["forked"], times["new_interpreter"])
    new, forked = (common.format_spread(times[k]) for k in ("new_interpreter", "forked"))
    return "\n".join([
        "# One binary run: a new interpreter vs a fork of the tests' zygote",
        "",
        f"Command: `{command}`. {common.machine_line()}",
        "",
        load,
        "",
        f"A 4-step WGAN-GP run (`python {' '.join(TINY_TRAIN)}`), {rounds} interleaved "
        "rounds (order rotating), wall seconds, median (min-max):",
        "",
        "| started as | wall s |",
        "|---|---|",
        f"| new interpreter (`subprocess.run`) | {new} |",
        f"| fork of the zygote (`tests.launch.run`) | {forked} |",
        "",
        f"Forked / new interpreter, paired by round: **{common.format_spread(ratio, unit='x')}**.",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--out", default=DEFAULT_OUT, help="report file (Markdown)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1; got {args.rounds}")
    launch.zygote().wait_until_ready()
    load_start = common.load_average()
    work_dir = tempfile.mkdtemp(prefix="launch_cost_")
    try:
        times = common.interleaved(
            {"new_interpreter": train_run(new_interpreter, os.path.join(work_dir, "a")),
             "forked": train_run(launch.run, os.path.join(work_dir, "b"))},
            repeats=args.rounds, warmup=0)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    text = report(times, args.rounds, common.command_line("benchmarks.launch_cost", argv),
                  common.load_line(load_start, common.load_average()))
    common.write_markdown(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
