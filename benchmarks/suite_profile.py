"""Where the test suite's time goes: per-test wall and CPU time, by directory and by file.

Issue 22 asks for the suite (`python -m pytest -q -n 2`) in at most 6 minutes on a quiet
2-core machine with no test over 30 s. `--durations` lists the slowest tests but not
whether the suite is bound by CPU work (then only less work helps) or by waiting (then
scheduling helps). This runs the suite once with `benchmarks.suite_timeline` recording
each test's wall time and the CPU seconds of its worker and of the subprocesses it ran,
and writes `benchmarks/results/suite_profile/suite_profile.md`:

    python -m benchmarks.suite_profile              # runs the suite (~15 min here)
    python -m benchmarks.suite_profile --report_only  # rebuilds the report

The raw records stay in `timeline/` beside the report (one JSON line per test).
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time

from benchmarks import common
from benchmarks import suite_timeline

DEFAULT_OUT = os.path.join("benchmarks", "results", "suite_profile")
GOAL_SUITE_SECONDS = 360.0
GOAL_TEST_SECONDS = 30.0
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_suite(out_dir: str, workers: int) -> dict:
    """Runs the suite with the timeline plugin; returns the run's summary record."""
    timeline = os.path.join(out_dir, "timeline")
    shutil.rmtree(timeline, ignore_errors=True)
    os.makedirs(timeline)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "benchmarks.suite_timeline",
               "-p", "no:cacheprovider", *(["-n", str(workers)] if workers > 1 else [])]
    env = dict(os.environ, **{suite_timeline.ENV: os.path.abspath(timeline)})
    load = common.load_average()
    start = time.perf_counter()
    finished = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    run = {"command": " ".join(command[1:]), "workers": workers,
           "returncode": finished.returncode, "wall_seconds": time.perf_counter() - start,
           "summary_line": (finished.stdout.strip().splitlines() or [""])[-1],
           "cores": os.cpu_count(), "load_average_before": load,
           "finished": common.utc_now(), "machine": common.machine_line()}
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(run, f, indent=1)
    return run


def read_records(out_dir: str) -> list[dict]:
    """Every test record the workers wrote, each with its worker's name added."""
    records = []
    timeline = os.path.join(out_dir, "timeline")
    for name in sorted(os.listdir(timeline)):
        with open(os.path.join(timeline, name)) as f:
            records += [dict(json.loads(line), worker=name.removesuffix(".jsonl"))
                        for line in f if line.strip()]
    return records


def _wall(record: dict) -> float:
    return record["end"] - record["start"]


def _cpu(record: dict) -> float:
    return record["cpu"] + record["children_cpu"]


def _group(records: list[dict], key) -> list[tuple[str, int, float, float]]:
    """`(group, tests, CPU seconds, wall seconds)` per `key(record)`, most CPU first."""
    totals = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for record in records:
        entry = totals[key(record)]
        entry[0] += 1
        entry[1] += _cpu(record)
        entry[2] += _wall(record)
    return sorted(((name, *values) for name, values in totals.items()),
                  key=lambda row: -row[2])


def _load(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f}"


def _directory(record: dict) -> str:
    """`tests/trainers` for a test in that directory, the file for one at the top."""
    return "/".join(record["id"].split("::")[0].split("/")[:2])


def _peak_memory_line(records: list[dict]) -> str:
    peaks = {}
    for r in records:
        worker = r.get("worker", "?")
        peaks[worker] = max(peaks.get(worker, 0.0), r.get("max_rss_mib", 0.0))
    return "Peak resident memory per worker process: " + ", ".join(
        f"{worker} {peak / 1024:.1f} GiB" for worker, peak in sorted(peaks.items())) + "."


def summarize(run: dict, records: list[dict], top_files: int = 20) -> str:
    """The report: goals, how busy the cores were, and the CPU by directory and file."""
    wall = run["wall_seconds"]
    cpu = sum(_cpu(r) for r in records)
    available = wall * run["cores"]
    over = sorted((r for r in records if _wall(r) > GOAL_TEST_SECONDS), key=lambda r: -_wall(r))
    waited = sorted((r for r in records if _wall(r) > 5 and _cpu(r) < 0.5 * _wall(r)),
                    key=lambda r: -_wall(r))
    goal_cpu = GOAL_SUITE_SECONDS * run["cores"] * (cpu / available if available else 1.0)
    lines = [
        "# Where the test suite's time goes",
        "",
        f"Command: `python -m benchmarks.suite_profile` (runs `{run['command']}`). "
        f"{run['machine'].rstrip('.')}. Run finished {run['finished']}; load average "
        f"before it {_load(run['load_average_before'])}.",
        "",
        f"pytest: `{run['summary_line']}` (exit code {run['returncode']}).",
        *[f"Failed: `{r['id']}`." for r in records if r.get("failed")],
        "",
        "| goal (issue 22 part 5) | measured | met |",
        "|---|---|---|",
        f"| suite <= {GOAL_SUITE_SECONDS / 60:.0f} min with {run['workers']} workers | "
        f"{wall / 60:.1f} min | {'**met**' if wall <= GOAL_SUITE_SECONDS else 'not met'} |",
        f"| no test over {GOAL_TEST_SECONDS:.0f} s | {len(over)} tests over | "
        f"{'**met**' if not over else 'not met'} |",
        "",
        f"The {len(records)} tests used **{cpu:.0f} CPU seconds** (their workers' own and "
        f"their subprocesses') of the {available:.0f} that {run['cores']} cores gave in "
        f"{wall:.0f} s ({100 * cpu / available:.0f} % busy). At that share, "
        f"{GOAL_SUITE_SECONDS / 60:.0f} minutes hold about {goal_cpu:.0f} CPU seconds: "
        f"{100 * goal_cpu / cpu:.0f} % of this run's work." if cpu else "No tests recorded.",
        "",
        _peak_memory_line(records),
        "",
        "## Tests over the limit",
        "",
        "| test | wall s | own CPU s | subprocess CPU s |",
        "|---|---|---|---|",
        *[f"| `{r['id']}` | {_wall(r):.1f} | {r['cpu']:.1f} | {r['children_cpu']:.1f} |"
          for r in over],
        "",
        "## CPU by directory",
        "",
        "| directory | tests | CPU s | share |",
        "|---|---|---|---|",
        *[f"| {name} | {count} | {seconds:.0f} | {100 * seconds / cpu:.0f} % |"
          for name, count, seconds, _ in _group(records, _directory)],
        "",
        f"## The {top_files} files that use the most CPU",
        "",
        "| file | tests | CPU s | summed wall s |",
        "|---|---|---|---|",
        *[f"| {name} | {count} | {seconds:.0f} | {wall_s:.0f} |" for name, count, seconds, wall_s
          in _group(records, lambda r: r["id"].split("::")[0])[:top_files]],
        "",
        "## Tests that mostly waited (wall > 5 s, CPU < half of it)",
        "",
        "Their worker was neither computing nor running a subprocess for most of their "
        "time: waiting for a core, for I/O, or asleep (before 2026-12-07, mostly destroying "
        "an old tf.data iterator inside a garbage collection: tests/conftest.py).",
        "",
        "| test | wall s | CPU s |",
        "|---|---|---|",
        *[f"| `{r['id']}` | {_wall(r):.1f} | {_cpu(r):.1f} |" for r in waited],
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (-n)")
    parser.add_argument("--report_only", action="store_true",
                        help="rebuild the report from the last run's records")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be >= 1; got {args.workers}")
    run_path = os.path.join(args.out_dir, "run.json")
    if args.report_only:
        if not os.path.exists(run_path):
            parser.error(f"--report_only needs a run's records in {args.out_dir}; none there")
        with open(run_path) as f:
            run = json.load(f)
    else:
        os.makedirs(args.out_dir, exist_ok=True)
        run = run_suite(args.out_dir, args.workers)
    path = os.path.join(args.out_dir, "suite_profile.md")
    common.write_markdown(path, summarize(run, read_records(args.out_dir)))
    print(f"[suite_profile] {run['summary_line']}; report: {path}", flush=True)
    return 0 if run["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
