"""Crash-resume under fault injection: SIGKILL the train binary again and again, then check.

Runs `python -m tfgenaug.bin.train` (a tiny WGAN-GP on the bundled digits, with
`--deterministic`) on one model_dir and kills it with SIGKILL at a random moment after
it has written a new checkpoint, `--kills` times in a row (10 by default), each restart
resuming from the newest checkpoint; then lets the run finish. Meanwhile, the same
command runs once without interruption in another directory. Checks:

1. after every kill, every checkpoint listed in the `checkpoint` index is readable
   (`tf.train.load_checkpoint`, every tensor read), except an older one whose files are
   being deleted: `tf.train.CheckpointManager.save` lists the new checkpoint, deletes the
   oldest's files, then lists again, so a kill in between leaves the oldest listed with
   files missing (TF's order, chosen so a preemption sees the new checkpoint); the
   newest one is readable and no older than before the kill (no checkpoint lost);
2. every restart resumes from the newest checkpoint, and the run ends at the requested
   step (`metrics.json`);
3. the final generator weights (and all other variables: critic, optimizer slots) equal
   those of the uninterrupted run: the max abs difference is reported (0 expected).

Usage:
    python -m benchmarks.fault_injection            # 10 kills, ~500 steps, minutes
    python -m benchmarks.fault_injection --quick --out=/tmp/fi.md   # 2 kills (CI)
"""

import argparse
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import common  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "fault_injection.md")
TINY = ["--image_size=8", "--width=4", "--critic_width=4", "--noise_dim=8",
        "--batch_size=16", "--judge_epochs=0", "--deterministic"]
RESUMING = re.compile(r"Resuming from step (\d+) of (\d+)")
CHECKPOINT = re.compile(r"ckpt-(\d+)$")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Length of the run and how it is interrupted."""

    kills: int
    steps: int
    checkpoint_every: int
    max_delay: float  # seconds: the kill lands uniformly in [0, max_delay] after a new checkpoint


FULL = Settings(kills=10, steps=500, checkpoint_every=10, max_delay=0.5)
QUICK = Settings(kills=2, steps=60, checkpoint_every=5, max_delay=0.3)


@dataclasses.dataclass
class Kill:
    """What one killed attempt did."""

    attempt: int
    resumed_from: int
    newest_before: int
    newest_after: int
    seconds_to_kill: float
    listed: int
    readable: int
    leftovers: int
    # Older listed checkpoints with files missing: a kill during CheckpointManager's sweep.
    being_deleted: int = 0
    newest_readable: bool = True


def train_command(model_dir: str, settings: Settings, seed: int) -> list[str]:
    return [sys.executable, "-m", "tfgenaug.bin.train", *TINY, f"--seed={seed}",
            f"--steps={settings.steps}", f"--checkpoint_every={settings.checkpoint_every}",
            f"--model_dir={model_dir}"]


def listed_checkpoints(model_dir: str) -> list[str]:
    """The checkpoint prefixes the index lists (oldest first); empty without an index."""
    directory = os.path.join(model_dir, "checkpoints")
    state = tf.train.get_checkpoint_state(directory)
    if state is None:
        return []
    return [os.path.join(directory, os.path.basename(p)) for p in state.all_model_checkpoint_paths]


def newest_step(model_dir: str) -> int:
    paths = listed_checkpoints(model_dir)
    return int(CHECKPOINT.search(paths[-1]).group(1)) if paths else 0


def readable(prefix: str) -> bool:
    """Whether every tensor of the checkpoint `prefix` can be read."""
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except (tf.errors.OpError, ValueError):
        return False
    return True


def files_missing(prefix: str) -> bool:
    """Whether the checkpoint `prefix` lacks its index or every data shard (deleted)."""
    return not os.path.exists(prefix + ".index") or not tf.io.gfile.glob(prefix + ".data-*")


def leftovers(model_dir: str) -> int:
    """Files and directories in checkpoints/ that no listed checkpoint owns (partial saves)."""
    directory = os.path.join(model_dir, "checkpoints")
    if not os.path.isdir(directory):
        return 0
    owned = {os.path.basename(p) for p in listed_checkpoints(model_dir)}
    count = 0
    for name in os.listdir(directory):
        if name == "checkpoint":
            continue
        if not any(name.startswith(prefix + ".") for prefix in owned):
            count += 1
    return count


def checkpoint_tensors(model_dir: str) -> dict[str, np.ndarray]:
    """Every tensor of the newest checkpoint, by name."""
    reader = tf.train.load_checkpoint(os.path.join(model_dir, "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def is_generator_tensor(name: str) -> bool:
    """Whether checkpoint entry `name` is a generator variable.

    A trainable variable is saved once, under the first object path that reaches it:
    the generator's under `trainer/g_optimizer/_trainable_variables/`, its
    non-trainable ones (batch-norm statistics) under `trainer/generator/`.
    """
    return "OPTIMIZER_SLOT" not in name and (
        name.startswith("trainer/generator/")
        or name.startswith("trainer/g_optimizer/_trainable_variables/")
    )


def max_abs_difference(a: dict, b: dict, only: str | None = None) -> tuple[float, int]:
    """Max abs difference over the float tensors both hold (names containing `only`)."""
    names = sorted(n for n in a if n in b and (only is None or only in n))
    worst = 0.0
    compared = 0
    for name in names:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        if x.dtype.kind != "f" or x.shape != y.shape:
            continue
        worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y)))) if x.size else worst
        compared += 1
    return worst, compared


def resumed_from(log_path: str) -> int:
    with open(log_path, errors="replace") as f:
        match = RESUMING.search(f.read())
    return int(match.group(1)) if match else 0


def wait_for_new_checkpoint(proc: subprocess.Popen, model_dir: str, after: int,
                            timeout: float) -> bool:
    """Polls until the index lists a checkpoint newer than `after`; False if the run ended."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if newest_step(model_dir) > after:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    raise TimeoutError(f"no new checkpoint in {model_dir} within {timeout} s")


def run(settings: Settings, work_dir: str, seed: int, rng: random.Random,
        timeout: float = 900.0, log=print, popen=subprocess.Popen) -> dict:
    """Runs the fault injection and returns the measurements.

    `popen` starts each training run (`subprocess.Popen` or a stand-in with its `poll`,
    `wait`, `send_signal`, `kill` and `returncode`; the tests pass one that forks an
    interpreter which already imported TensorFlow).
    """
    killed_dir = os.path.join(work_dir, "killed")
    straight_dir = os.path.join(work_dir, "straight")
    start = time.time()
    straight_log = open(os.path.join(work_dir, "straight.log"), "w")  # noqa: SIM115
    straight = popen(train_command(straight_dir, settings, seed), stdout=straight_log,
                     stderr=subprocess.STDOUT)
    kills: list[Kill] = []
    finished_early = False
    try:
        for attempt in range(1, settings.kills + 1):
            before = newest_step(killed_dir)
            log_path = os.path.join(work_dir, f"attempt{attempt}.log")
            with open(log_path, "w") as out:
                t0 = time.time()
                proc = popen(train_command(killed_dir, settings, seed), stdout=out,
                             stderr=subprocess.STDOUT)
                if not wait_for_new_checkpoint(proc, killed_dir, before, timeout):
                    finished_early = proc.returncode == 0
                    if not finished_early:
                        raise RuntimeError(f"attempt {attempt} failed; see {log_path}")
                    log(f"attempt {attempt}: the run finished before it could be killed")
                    break
                time.sleep(rng.uniform(0.0, settings.max_delay))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                seconds = time.time() - t0
            if proc.returncode != -signal.SIGKILL:
                finished_early = proc.returncode == 0
                log(f"attempt {attempt}: exited with {proc.returncode} before the kill")
                break
            paths = listed_checkpoints(killed_dir)
            opens = [readable(p) for p in paths]  # each checkpoint read once
            kill = Kill(attempt=attempt, resumed_from=resumed_from(log_path),
                        newest_before=before, newest_after=newest_step(killed_dir),
                        seconds_to_kill=seconds, listed=len(paths),
                        readable=sum(opens),
                        leftovers=leftovers(killed_dir),
                        being_deleted=sum(not ok and files_missing(p)
                                          for p, ok in zip(paths[:-1], opens, strict=False)),
                        newest_readable=bool(opens) and opens[-1])
            kills.append(kill)
            log(f"kill {attempt}: {kill}")
        log_path = os.path.join(work_dir, "final.log")
        with open(log_path, "w") as out:
            final = popen(train_command(killed_dir, settings, seed), stdout=out,
                          stderr=subprocess.STDOUT)
            try:
                final.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                final.kill()
                final.wait()
                raise
        if final.returncode != 0:
            raise RuntimeError(f"the final attempt failed ({final.returncode}); see {log_path}")
        final_resumed = resumed_from(log_path)
        straight.wait(timeout=timeout)
    finally:
        if straight.poll() is None:
            straight.kill()
            straight.wait()
        straight_log.close()
    if straight.returncode != 0:
        raise RuntimeError(f"the uninterrupted run failed; see {straight_log.name}")
    paths = listed_checkpoints(killed_dir)
    with open(os.path.join(killed_dir, "metrics.json")) as f:
        final_step = json.load(f)["step"]
    killed, reference = checkpoint_tensors(killed_dir), checkpoint_tensors(straight_dir)
    generator_diff, generator_tensors = max_abs_difference(
        {n: v for n, v in killed.items() if is_generator_tensor(n)}, reference)
    all_diff, all_tensors = max_abs_difference(killed, reference)
    return {
        "settings": settings,
        "seed": seed,
        "kills": kills,
        "finished_early": finished_early,
        "final_resumed_from": final_resumed,
        "final_step": final_step,
        "final_listed": len(paths),
        "final_readable": sum(readable(p) for p in paths),
        "generator_max_abs_diff": generator_diff,
        "generator_tensors": generator_tensors,
        "all_max_abs_diff": all_diff,
        "all_tensors": all_tensors,
        "wall_seconds": time.time() - start,
    }


def check(result: dict) -> list[str]:
    """The failed checks, as sentences; empty when everything held."""
    problems = []
    settings = result["settings"]
    previous = 0
    for kill in result["kills"]:
        if (kill.readable + kill.being_deleted != kill.listed or kill.listed == 0
                or kill.being_deleted > 1 or not kill.newest_readable):
            problems.append(f"kill {kill.attempt}: {kill.readable} of {kill.listed} listed "
                            f"checkpoints readable ({kill.being_deleted} being deleted)")
        if kill.newest_after < kill.newest_before:
            problems.append(f"kill {kill.attempt}: newest checkpoint went back from "
                            f"{kill.newest_before} to {kill.newest_after}")
        if kill.resumed_from != previous:
            problems.append(f"attempt {kill.attempt} resumed from {kill.resumed_from}, not the "
                            f"newest checkpoint {previous}")
        previous = kill.newest_after
    if result["final_resumed_from"] != previous:
        problems.append(f"the final attempt resumed from {result['final_resumed_from']}, not "
                        f"{previous}")
    if result["final_step"] != settings.steps:
        problems.append(f"the run ended at step {result['final_step']}, not {settings.steps}")
    if result["final_readable"] != result["final_listed"]:
        problems.append("a listed checkpoint of the finished run is unreadable")
    if result["generator_max_abs_diff"] != 0.0:
        problems.append("the generator differs from the uninterrupted run: max abs diff "
                        f"{result['generator_max_abs_diff']:.3g}")
    return problems


def report(result: dict, command: str) -> str:
    settings = result["settings"]
    kills = result["kills"]
    problems = check(result)
    lines = [
        "# Fault injection: SIGKILL the train binary, resume, compare",
        "",
        common.machine_line(),
        "",
        f"Command: `{command}`",
        "",
        f"`python -m tfgenaug.bin.train {' '.join(TINY)} --seed={result['seed']} "
        f"--steps={settings.steps} --checkpoint_every={settings.checkpoint_every}` (WGAN-GP, "
        "digits 8x8), killed with SIGKILL at a random moment (uniform in "
        f"[0, {settings.max_delay}] s) after each attempt wrote a new checkpoint, "
        f"{settings.kills} times in a row on one model_dir, then run to the end; the same "
        "command ran once uninterrupted alongside.",
        "",
        "| kill | resumed from | newest ckpt before | newest ckpt after | s to kill | "
        "listed ckpts readable | partial files left |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kill in kills:
        lines.append(f"| {kill.attempt} | {kill.resumed_from} | {kill.newest_before} | "
                     f"{kill.newest_after} | {kill.seconds_to_kill:.1f} | "
                     f"{kill.readable}/{kill.listed}"
                     + (f" ({kill.being_deleted} being deleted)" if kill.being_deleted else "")
                     + f" | {kill.leftovers} |")
    lines += [
        "",
        f"- Kills: {len(kills)} of {settings.kills}"
        + (" (the run finished before the remaining kills)" if result["finished_early"] else ""),
        f"- Final attempt resumed from step {result['final_resumed_from']}; the run ended at "
        f"step {result['final_step']} of {settings.steps}; listed checkpoints readable: "
        f"{result['final_readable']}/{result['final_listed']}",
        f"- Generator weights vs the uninterrupted run: max abs difference "
        f"{result['generator_max_abs_diff']:.3g} over {result['generator_tensors']} tensors",
        f"- All checkpointed float tensors (both networks, optimizer slots, trackers): max abs "
        f"difference {result['all_max_abs_diff']:.3g} over {result['all_tensors']} tensors",
        f"- Wall time: {result['wall_seconds']:.0f} s",
        f"- Result: {'PASS' if not problems else 'FAIL: ' + '; '.join(problems)}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 kills of a 60-step run (CI)")
    parser.add_argument("--kills", type=int, default=None, help="override the number of kills")
    parser.add_argument("--seed", type=int, default=0, help="seed of the runs and the kill times")
    parser.add_argument("--out", default=DEFAULT_OUT, help="report file (Markdown)")
    parser.add_argument("--work_dir", default=None,
                        help="where the runs go (kept); default: a temporary directory")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.kills is not None:
        if args.kills < 0:
            parser.error(f"--kills must be >= 0; got {args.kills}")
        settings = dataclasses.replace(settings, kills=args.kills)
    command = "python -m benchmarks.fault_injection" + (" --quick" if args.quick else "")
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="fault_injection_")
    os.makedirs(work_dir, exist_ok=True)
    try:
        result = run(settings, work_dir, args.seed, random.Random(args.seed))
    finally:
        if args.work_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)
    text = report(result, command)
    parent = os.path.dirname(args.out)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if check(result) else 0


if __name__ == "__main__":
    sys.exit(main())
