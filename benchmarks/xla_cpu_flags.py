"""XLA:CPU's own switches against the graph path: do any of them close issue 22's gap?

`benchmarks/results/throughput.md` has every trainer's XLA step slower than its graph
(no XLA) step on this CPU, and `benchmarks/results/xla_profile.md` traces what is left
after tfgenaug's own fixes to XLA:CPU's convolutions and random numbers. XLA:CPU has
switches of its own, read once per process from `XLA_FLAGS`: oneDNN or XNNPACK/YNNPACK
kernels for dots, convolutions and elementwise fusions, and fast math. This times the
reference WGAN-GP step and DFG's step (the slowest against its graph step) under each,
next to the graph path and XLA's defaults, so a user asking "did you try XLA's flags?"
reads the answer here.

Each cell is one variant of one trainer in a new process (the flags are read once per
process): the trainer of `benchmarks.throughput` (32x32x3, batch 64), one untimed step
(tracing and compilation), then `--repeats` timed fits of `--steps` steps each; a cell's
value is its median seconds per step. A trainer's cells run back to back in an order that
rotates each round; a ratio is the graph step's time over the variant's in the same round
(> 1: the variant is faster than the graph path). A variant whose process fails (XLA
rejects or crashes on its flags) is recorded with its exit code and last message.

    python -m benchmarks.xla_cpu_flags            # 3 rounds, cached under --out_dir/cells
"""

import argparse
import os
import statistics
import sys
import time

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "results", "xla_cpu_flags")
GRAPH = "no XLA"
# name -> (jit_compile, XLA_FLAGS of the cell's process). Flag names and values as
# TensorFlow 2.21's XLA lists them (an unknown flag aborts the process with the list).
VARIANTS: dict[str, tuple[bool, str]] = {
    GRAPH: (False, ""),
    "XLA": (True, ""),
    "XLA + oneDNN thunks": (True, "--xla_cpu_use_onednn=true"),
    "XLA + oneDNN custom calls": (True, "--xla_cpu_use_onednn=true "
                                        "--xla_cpu_experimental_onednn_custom_call=true "
                                        "--xla_cpu_experimental_onednn_fusion_type=dot,eltwise"),
    "XLA + XNNPACK graph fusion": (True, "--xla_cpu_experimental_xnn_graph_fusion_mode="
                                         "XNN_GRAPH_FUSION_MODE_GREEDY_SLINKY"),
    "XLA + YNNPACK dot/eltwise": (True, "--xla_cpu_experimental_ynn_fusion_type=dot,eltwise"),
    "XLA + fast math": (True, "--xla_cpu_enable_fast_math=true"),
}
TRAINERS = ("wgan_gp", "dfg")


def _build(trainer_name: str, jit_compile: bool):
    """`(trainer, dataset)`: `benchmarks.throughput`'s trainer and data."""
    from benchmarks import throughput

    settings = throughput.FULL
    if trainer_name == "wgan_gp":
        trainer = throughput.reference_wgan_gp(3, settings, jit_compile)
    elif trainer_name == "dfg":
        trainer = throughput.dfg(settings, jit_compile)
    else:
        raise ValueError(f"trainer must be one of {TRAINERS}; got {trainer_name!r}")
    shape = (throughput.IMAGE_SIZE, throughput.IMAGE_SIZE, 3)
    return trainer, throughput.dataset(shape, settings.batch)


def measure_cell(trainer_name: str, jit_compile: bool, steps: int, repeats: int) -> dict:
    """One trainer in this process: an untimed step, then `repeats` timed fits.

    Args:
        trainer_name: one of `TRAINERS`.
        jit_compile: the trainer's compile path.
        steps: train steps per timed fit.
        repeats: timed fits.

    Returns:
        `{"first_step_seconds", "seconds_per_step": [one per repeat]}`.
    """
    trainer, dataset = _build(trainer_name, jit_compile)
    start = time.perf_counter()
    trainer.fit(dataset, steps_per_epoch=1, epochs=1, verbose=0)
    first = time.perf_counter() - start
    per_step = []
    for _ in range(repeats):
        start = time.perf_counter()
        trainer.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
        per_step.append((time.perf_counter() - start) / steps)
    return {"first_step_seconds": first, "seconds_per_step": per_step}


def _measure_in_new_process(trainer_name: str, variant: str, steps: int,
                            repeats: int) -> dict:
    jit_compile, xla_flags = VARIANTS[variant]
    return common.call_in_new_process("xla_cpu_flags", "measure_cell", trainer_name,
                                      jit_compile, steps, repeats,
                                      env={"XLA_FLAGS": xla_flags})


def _failure(error: RuntimeError) -> str:
    """The first line of a failed child's message and the last line of its stderr."""
    head, _, stderr = str(error).partition("\n")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return f"{head} {lines[-1] if lines else ''}".strip()


def run_cell(out_dir: str, trainer_name: str, variant: str, round_index: int, steps: int,
             repeats: int) -> None:
    """Measures one cell in a new process unless it is cached; a failure is cached too."""
    slug = variant.replace(" ", "_").replace("/", "_")
    path = common.round_cell_path(out_dir, round_index, f"{trainer_name}_{slug}")
    if os.path.exists(path):
        return
    load = common.load_average()
    try:
        result = _measure_in_new_process(trainer_name, variant, steps, repeats)
        result["seconds"] = statistics.median(result["seconds_per_step"])
        summary = f"{result['seconds'] * 1000:.0f} ms/step"
    except RuntimeError as error:
        result = {"failed": _failure(error)}
        summary = result["failed"]
    jsonio.write_json(path, {"round": round_index, "trainer": trainer_name,
                             "variant": variant, "xla_flags": VARIANTS[variant][1],
                             "steps": steps, "repeats": repeats, **result,
                             "load_before": load, "machine": common.machine_line(),
                             "finished": common.utc_now()})
    print(f"[xla_cpu_flags] round {round_index} {trainer_name} {variant}: {summary}",
          flush=True)


def _rows(cells: list[dict], trainer_name: str) -> list[str]:
    mine = [c for c in cells if c["trainer"] == trainer_name]
    measured = [c for c in mine if "seconds" in c]
    # Ratios are the variant's time over the graph path's in a round; speed is their inverse.
    timed = {variant: (values, ratios)
             for variant, values, ratios in common.paired_by_round(measured, GRAPH, "seconds")}
    first = {variant: values for variant, values, _ in
             common.paired_by_round(measured, GRAPH, "first_step_seconds")}
    rows = []
    for variant, (_, flags) in VARIANTS.items():
        values, ratios = timed.get(variant, ([], []))
        failed = [c for c in mine if c["variant"] == variant and "failed" in c]
        if not values and not failed:
            continue
        speed = common.format_spread([1 / r for r in ratios], 2, "x") if ratios else "-"
        ms = common.format_spread([v * 1000 for v in values], 0) if values else "-"
        first_step = common.format_spread(first[variant], 1) if values else "-"
        note = (f"failed in {len(failed)} of {len(failed) + len(values)}: "
                f"{failed[0]['failed']}" if failed else "")
        rows.append(f"| {trainer_name} | {variant} | `{flags or '(none)'}` | {len(values)} | "
                    f"{ms} | {speed} | {first_step} | {note} |")
    return rows


def report(cells: list[dict], command: str) -> str:
    rows = ["| trainer | variant | XLA_FLAGS | rounds | ms/step | speed / graph path | "
            "first step s (trace + compile) | failures |", "|---|---|---|---|---|---|---|---|"]
    for name in TRAINERS:
        rows += _rows(cells, name)
    settings = sorted({(c["steps"], c["repeats"]) for c in cells})
    loads = [c["load_before"] for c in cells if c.get("load_before") is not None]
    return "\n".join([
        "# XLA:CPU's own switches against the graph path",
        "",
        f"Command: `{command}`. {common.cached_table_machine_line(cells)}",
        "",
        "Each cell is one variant of one trainer in a new process with that `XLA_FLAGS` (and "
        "nothing else in it): `benchmarks.throughput`'s reference WGAN-GP (5 critic steps and "
        "a generator step) or DFG step at 32x32x3, batch 64, one untimed step, then timed "
        "fits; a cell's value is its median seconds per step. A trainer's cells run back to "
        "back in an order that rotates each round. Speed / graph path is the graph step's "
        "time over the variant's in the same round, median (min-max) over the rounds: > 1 "
        f"means faster than the graph path. (steps, repeats) per cell: {settings}. 1-minute "
        f"load average before the cells: "
        f"{common.format_spread(loads, 1) if loads else 'unknown'} (2 cores).",
        "",
        *rows,
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trainers", default=",".join(TRAINERS))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    names = common.names_from_flag(parser, "trainers", args.trainers, TRAINERS)
    common.require_positive(parser, args, "rounds", "steps", "repeats")
    for round_index in range(args.rounds):
        for name in names:
            for variant in common.round_order(list(VARIANTS), round_index):
                run_cell(args.out_dir, name, variant, round_index, args.steps, args.repeats)
    common.write_cells_report(args.out_dir, "benchmarks.xla_cpu_flags", report, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
