"""Shared helpers of the benchmarks: interleaved timing, ratio statistics, machine line.

The machines the benchmarks run on are noisy (single timings can swing 2x), so variants
are timed interleaved, in a rotating order, several times in one process, and compared
through the ratio of their timings *within* each repeat.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence


def timed(fn: Callable[[], object]) -> float:
    """Returns the wall time in seconds of one call of `fn()`."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(
    variants: Mapping[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    log: Callable[[str], None] | None = print,
) -> dict[str, list[float]]:
    """Times each variant `repeats` times, interleaving the variants.

    Every variant is first called `warmup` times untimed (tracing, first epochs). Then
    each repeat times every variant once; the order rotates by one variant per repeat so
    no variant always runs first (or right after the same neighbour).

    Args:
        variants: name -> zero-argument callable doing the work to time.
        repeats: int >= 1. Timed calls per variant.
        warmup: int >= 0. Untimed calls per variant before timing. Defaults to 1.
        log: called with a progress line after each timing; `None` for silence.

    Returns:
        name -> list of `repeats` wall times in seconds, in repeat order.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            variants[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = timed(variants[name])
            times[name].append(seconds)
            if log is not None:
                log(f"repeat {repeat + 1}/{repeats} {name}: {seconds:.3f} s")
    return times


def round_order(variants: Sequence[str], round_index: int) -> list[str]:
    """The variants of round `round_index`, rotated by one per round (no fixed first).

    For benchmarks whose rounds outlive one process (cached cells): round `r` runs the
    variants in the order `interleaved` uses for its repeat `r`.
    """
    shift = round_index % len(variants)
    return [*variants[shift:], *variants[:shift]]


def paired_by_round(cells: Sequence[Mapping], baseline: str, key: str = "wall_seconds"
                    ) -> list[tuple[str, list[float], list[float]]]:
    """Per variant of cached round cells, its values and its ratios to `baseline`.

    For benchmarks whose cells each hold a `round`, a `variant` and a timing `key`: a
    ratio divides a variant's value by the baseline's of the same round, so a slower
    round does not move it.

    Returns:
        `(variant, values, ratios)` for each variant, the baseline first and the others by
        name; `values` over the rounds it ran, `ratios` over the rounds both ran (empty
        for the baseline).
    """
    by_round: dict[int, dict[str, Mapping]] = {}
    for cell in cells:
        by_round.setdefault(cell["round"], {})[cell["variant"]] = cell
    variants = sorted({c["variant"] for c in cells}, key=lambda v: (v != baseline, v))
    summaries = []
    for variant in variants:
        values = [r[variant][key] for r in by_round.values() if variant in r]
        paired = [(r[variant][key], r[baseline][key])
                  for r in by_round.values() if variant in r and baseline in r]
        ratios_to_baseline = (ratios(*zip(*paired, strict=True))
                              if variant != baseline and paired else [])
        summaries.append((variant, values, ratios_to_baseline))
    return summaries


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Returns `(median, min, max)` of `values`."""
    return statistics.median(values), min(values), max(values)


def ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Per-repeat ratios `numerator[i] / denominator[i]` of two interleaved timings."""
    if len(numerator) != len(denominator):
        raise ValueError(
            f"need as many timings on both sides; got {len(numerator)} and {len(denominator)}"
        )
    return [n / d for n, d in zip(numerator, denominator, strict=True)]


def format_spread(values: Sequence[float], digits: int = 2, unit: str = "") -> str:
    """`"1.23x (1.10-1.40)"`: the median and the min-max range of `values`."""
    median, low, high = spread(values)
    return f"{median:.{digits}f}{unit} ({low:.{digits}f}-{high:.{digits}f})"


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else `platform.processor()` or "unknown"."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float | None:
    """Total RAM in GiB from /proc/meminfo (or sysconf), `None` if unknown."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def utc_now() -> str:
    """The current UTC time, `YYYY-MM-DD HH:MM UTC`."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def command_line(module: str, argv: list[str] | None) -> str:
    """How `module` was run: `python -m <module>` and its arguments (`sys.argv` if None)."""
    return " ".join(["python -m " + module, *(argv if argv is not None else sys.argv[1:])])


def write_markdown(path: str, text: str) -> None:
    """Writes a report to `path` (its directory made) and prints it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


def write_cells_report(out_dir: str, module: str, report: Callable[[list[dict], str], str],
                       argv: list[str] | None) -> str:
    """Rebuilds a cached benchmark's report from every cell under `<out_dir>/cells`.

    Args:
        out_dir: the benchmark's output directory.
        module: the benchmark's module, e.g. `"benchmarks.iterator_teardown"`; the report
            is `<out_dir>/<its last part>.md`.
        report: `(cells, command line) -> markdown`.
        argv: the benchmark's arguments (`sys.argv` if None), for the command line.

    Returns:
        The report's path (also printed).
    """
    name = module.rsplit(".", 1)[-1]
    cells = json_records(os.path.join(out_dir, "cells"))
    path = os.path.join(out_dir, f"{name}.md")
    write_markdown(path, report(cells, command_line(module, argv)))
    print(f"[{name}] {path}")
    return path


def names_from_flag(parser: argparse.ArgumentParser, flag: str, value: str,
                    known: Sequence[str]) -> list[str]:
    """The comma-separated names of `--flag`, each one of `known`; a usage error if not.

    Args:
        parser: the benchmark's parser (its `error` exits with the usage message).
        flag: the flag's name without dashes, e.g. `"trainers"`.
        value: the flag's value, e.g. `"wgan_gp,dfg"`.
        known: the names it may hold.

    Returns:
        The names, in the given order.
    """
    names = [name for name in value.split(",") if name]
    unknown = sorted(set(names) - set(known))
    if unknown or not names:
        parser.error(f"--{flag} must name some of {', '.join(known)}; got {unknown}")
    return names


def require_positive(parser: argparse.ArgumentParser, args: argparse.Namespace,
                     *flags: str) -> None:
    """A usage error naming the first of `flags` (names without dashes) below 1."""
    for flag in flags:
        value = getattr(args, flag)
        if value < 1:
            parser.error(f"--{flag} must be >= 1; got {value}")


def call_in_new_process(module: str, function: str, *args, timeout: float = 3600,
                        env: Mapping[str, str] | None = None) -> object:
    """`benchmarks.<module>.<function>(*args)` run in a new interpreter; its JSON result.

    For measurements that must not share a process (caches, kept graphs, process-wide
    TensorFlow settings). `args` must be Python literals (their `repr` is the call);
    the function's result must be JSON.

    Args:
        module: a module of `benchmarks`, e.g. `"adam_trace"`.
        function: the function to call.
        *args: its positional arguments.
        timeout: seconds before the child is killed. Defaults to 3600.
        env: variables set in the child on top of this process's environment (settings
            read once per process, e.g. `XLA_FLAGS`). Defaults to None (none).

    Returns:
        The function's return value, through JSON.

    Raises:
        RuntimeError: the child failed; the message ends with its stderr.
    """
    call = f"{function}({', '.join(repr(a) for a in args)})"
    code = f"import json; from benchmarks import {module} as m; print(json.dumps(m.{call}))"
    child_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=child_env, timeout=timeout)
    if finished.returncode != 0:
        raise RuntimeError(f"benchmarks.{module}.{call} failed (exit code "
                           f"{finished.returncode}):\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def round_cell_path(out_dir: str, round_index: int, variant: str) -> str:
    """Where an interleaved benchmark caches the cell of `variant` in round `round_index`:
    `<out_dir>/cells/round<round_index>_<variant>.json`."""
    return os.path.join(out_dir, "cells", f"round{round_index}_{variant}.json")


def json_records(root: str) -> list[dict]:
    """Every `*.json` file under `root`, loaded, in sorted path order; `[]` if no `root`.

    The benchmarks cache each finished cell as one JSON file; this reads them back.
    """
    records = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        for name in sorted(files):
            if name.endswith(".json"):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    records.append(json.load(f))
    return records


def cached_table_machine_line(cells: Sequence[Mapping]) -> str:
    """The machine line of a table rebuilt from cached cells: now, and the newest cell's end.

    Args:
        cells: the cached cells, each with a `finished` time (`utc_now()`).

    Returns:
        e.g. `Machine: 2 cores ..., 2026-12-06 19:05 UTC (table written); last cell
        finished 2026-12-06 19:04 UTC.`
    """
    return (f"{machine_line()} (table written); last cell finished "
            f"{max(c['finished'] for c in cells)}.")


def load_average() -> float | None:
    """The machine's 1-minute load average (`os.getloadavg`), or None where unknown."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_line(start: float | None, end: float | None) -> str:
    """A measured statement of the other load on the machine during a run.

    Args:
        start: `load_average()` when the run started (before its own work).
        end: `load_average()` when it ended (includes the run's own load).

    Returns:
        e.g. `Load: 1-minute load average 0.1 at the start, 2.1 at the end (2 cores; the
        run itself keeps up to 2 busy).`
    """
    if start is None or end is None:
        return "Load: unknown (no load average on this system)."
    return (f"Load: 1-minute load average {start:.1f} at the start, {end:.1f} at the end "
            f"({os.cpu_count()} cores; the run itself keeps up to {os.cpu_count()} busy). "
            "A start well above 0 means other work shared the machine.")


def machine_line() -> str:
    """One line describing the machine and software, e.g. for a results file.

    `Machine: 2 cores (os.cpu_count), AMD EPYC ..., 23.4 GiB RAM, Linux x86_64,
    Python 3.11.9, TensorFlow 2.21.0, Keras 3.15.0, 2026-11-25 10:30 UTC`.
    """
    import keras
    import tensorflow as tf

    ram = ram_gib()
    parts = [
        f"{os.cpu_count()} cores (os.cpu_count)",
        cpu_model(),
        f"{ram:.1f} GiB RAM" if ram is not None else "RAM unknown",
        f"{platform.system()} {platform.machine()}",
        f"Python {platform.python_version()}",
        f"TensorFlow {tf.__version__}",
        f"Keras {keras.__version__}",
        utc_now(),
    ]
    return "Machine: " + ", ".join(parts)
