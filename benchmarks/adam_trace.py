"""Keras' Adam against a leaner one (the same numbers): the CPU of a new trainer's first fit.

A new trainer's first `fit` traces its train step; Keras' Adam traces ~40 graph ops per
variable, `benchmarks.lean_adam.LeanAdam` computes the per-variable scalars once per
update (bit-identical results, `tests/benchmarks/test_lean_adam.py`); the variant
"tfgenaug" is that class, tried as the library's default and not adopted (its module
docstring says why). This measures what that is
worth where it matters: the CPU seconds of building, compiling and fitting a new
trainer for a few steps (what every test, every `jit_compile="auto"` probe and every run
start pays), the wall time per step once traced (graph path, no XLA), and the
`tf.custom_gradient` entries each fit leaves in TensorFlow's registry.

Each cell is one variant of one trainer in one round, measured in a new process (an
untimed fit for first-use costs, then the timed one); a trainer's two cells run back to
back in an order that rotates each round, and a ratio is tfgenaug's value over Keras' in
the same round. A process never holds the other variant's graphs.

    python -m benchmarks.adam_trace            # 3 rounds, cached under --out_dir/cells
"""

import argparse
import os
import sys
import time

from benchmarks import common
from tfgenaug import jsonio

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "results", "adam_trace")
VARIANTS = ("keras", "tfgenaug")
# The suite's tiny trainers (tests/trainers/conftest.py and test_ssgan.py) and the
# README's main job (its default TrainConfig on the bundled 16x16 digits).
TRAINERS = ("wgan_gp_tiny", "ssgan_tiny", "main_job")


def _build(trainer_name: str):
    """`(trainer, dataset)` for `trainer_name`, the trainer compiled with its defaults."""
    import numpy as np
    import tensorflow as tf

    from tfgenaug import trainers

    rng = np.random.default_rng(0)
    if trainer_name == "main_job":
        from tfgenaug import data
        from tfgenaug.runs.generator_config import TrainConfig
        from tfgenaug.runs.generator_recipes import build_trainer

        config = TrainConfig(jit_compile=False)
        config.validate()
        info = data.select(config.data_case()).info
        trainer, shape, classes, batch = build_trainer(config, info), info.image_shape, \
            info.num_classes, config.batch_size
    elif trainer_name == "wgan_gp_tiny":
        shape, classes, batch = (8, 8, 1), 3, 8
        trainer = trainers.WGANGP(shape, classes, noise_dim=8, width=4, critic_width=4)
    elif trainer_name == "ssgan_tiny":
        shape, classes, batch = (8, 8, 1), 3, 8
        trainer = trainers.SemiSupervisedGAN(shape, classes, noise_dim=8,
                                             width_multiplier=0.05)
        trainer.initialize(rng.uniform(-1, 1, (16, *shape)).astype("float32"))
    else:
        raise ValueError(f"trainer must be one of {TRAINERS}; got {trainer_name!r}")
    if trainer_name != "main_job":
        trainer.compile(jit_compile=False)
    images = rng.uniform(-1, 1, (4 * batch, *shape)).astype("float32")
    labels = rng.integers(0, classes, 4 * batch).astype("int32")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(
        batch, drop_remainder=True).cache().repeat()
    return trainer, dataset


def _with_optimizers(trainer, variant: str) -> None:
    """Recompiles `trainer` with its own optimizers' configs in `variant`'s Adam class."""
    import keras

    from benchmarks.lean_adam import LeanAdam

    adam = {"keras": keras.optimizers.Adam, "tfgenaug": LeanAdam}[variant]
    names = [name for name in ("d_optimizer", "g_optimizer") if hasattr(trainer, name)]
    made = {name: adam.from_config(getattr(trainer, name).get_config()) for name in names}
    trainer.compile(**made, jit_compile=False)


def measure_fit(trainer_name: str, variant: str, fit_steps: int, steady_steps: int) -> dict:
    """One new trainer: CPU of build + compile + `fit_steps` steps, then its steady step."""
    from benchmarks import custom_gradient_leak

    entries = custom_gradient_leak.custom_gradient_entries()
    wall, cpu = time.perf_counter(), time.process_time()
    trainer, dataset = _build(trainer_name)
    _with_optimizers(trainer, variant)
    trainer.fit(dataset, steps_per_epoch=fit_steps, epochs=1, verbose=0)
    first_fit = {"first_fit_cpu_seconds": time.process_time() - cpu,
                 "first_fit_wall_seconds": time.perf_counter() - wall}
    start = time.perf_counter()
    trainer.fit(dataset, steps_per_epoch=steady_steps, epochs=1, verbose=0)
    return {**first_fit,
            "steady_ms_per_step": (time.perf_counter() - start) * 1000 / steady_steps,
            "custom_gradients_added": custom_gradient_leak.custom_gradient_entries() - entries}


def measure_cell(trainer_name: str, variant: str, fit_steps: int, steady_steps: int,
                 grappler: bool = True) -> dict:
    """A cell, in its own process: an untimed fit (first-use costs), then a timed one.

    `grappler=False` turns TensorFlow's graph optimizer off first, as the tests do.
    """
    if not grappler:
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    measure_fit(trainer_name, variant, fit_steps, steady_steps)
    return measure_fit(trainer_name, variant, fit_steps, steady_steps)


def _measure_in_new_process(trainer_name: str, variant: str, fit_steps: int,
                            steady_steps: int, grappler: bool) -> dict:
    return common.call_in_new_process("adam_trace", "measure_cell", trainer_name, variant,
                                      fit_steps, steady_steps, grappler)


def run_cell(out_dir: str, trainer_name: str, variant: str, round_index: int,
             fit_steps: int, steady_steps: int, grappler: bool = True) -> None:
    """Measures one cell in a new process unless it is cached."""
    path = common.round_cell_path(out_dir, round_index, f"{trainer_name}_{variant}")
    if os.path.exists(path):
        return
    load = common.load_average()
    result = _measure_in_new_process(trainer_name, variant, fit_steps, steady_steps, grappler)
    jsonio.write_json(path, {"round": round_index, "trainer": trainer_name, "variant": variant,
                             "fit_steps": fit_steps, "steady_steps": steady_steps,
                             "grappler": grappler, **result,
                             "load_before": load, "machine": common.machine_line(),
                             "finished": common.utc_now()})
    print(f"[adam_trace] round {round_index} {trainer_name} {variant}: "
          f"{result['first_fit_cpu_seconds']:.2f} CPU s, "
          f"{result['steady_ms_per_step']:.1f} ms/step", flush=True)


def _summary(cells: list[dict], key: str, digits: int) -> tuple[str, str, str, int]:
    """Keras' values, the lean Adam's, their ratios per round, and the rounds paired."""
    (_, keras_values, _), (_, ours, ratios) = common.paired_by_round(cells, "keras", key)
    return (common.format_spread(keras_values, digits), common.format_spread(ours, digits),
            common.format_spread(ratios, 2, "x"), len(ratios))


def report(cells: list[dict], command: str) -> str:
    rows = ["| trainer | rounds | first fit CPU s, Keras Adam | tfgenaug Adam | tfgenaug / "
            "Keras | steady ms/step, Keras | tfgenaug | tfgenaug / Keras | custom gradients "
            "left per fit, Keras / tfgenaug |", "|---|---|---|---|---|---|---|---|---|"]
    for name in TRAINERS:
        mine = [c for c in cells if c["trainer"] == name]
        rounds_of = [{c["round"] for c in mine if c["variant"] == v} for v in VARIANTS]
        if not set.intersection(*rounds_of):
            continue  # no round with both cells yet
        *fit, rounds = _summary(mine, "first_fit_cpu_seconds", 2)
        *steady, _ = _summary(mine, "steady_ms_per_step", 1)
        leaks = "/".join(str(max(c["custom_gradients_added"] for c in mine
                                 if c["variant"] == v)) for v in VARIANTS)
        rows.append(f"| {name} | {rounds} | {' | '.join(fit)} | {' | '.join(steady)} | "
                    f"{leaks} |")
    steps = sorted({(c["fit_steps"], c["steady_steps"]) for c in cells})
    grappler = sorted({"on" if c.get("grappler", True) else "off" for c in cells})
    loads = [c["load_before"] for c in cells if c.get("load_before") is not None]
    return "\n".join([
        "# Keras' Adam against the lean Adam (`benchmarks.lean_adam`, variant tfgenaug): a new "
        "trainer's first fit",
        "",
        f"Command: `{command}`. {common.cached_table_machine_line(cells)}",
        "",
        "Each cell is one variant of one trainer in a new process: an untimed fit (first-use "
        "costs), then a new trainer built, compiled with its default optimizers' configs in "
        "that variant's Adam class (no XLA) and fitted for the first-fit steps (CPU seconds "
        "of all of it), then fitted for the steady steps (wall ms per step). In each round "
        "the trainers' two cells run back to back, in an order that rotates each round; "
        "ratios pair the two cells of a round, shown as median (min-max). Both Adams give "
        "the same numbers. Custom gradients: entries a fit added to TensorFlow's registry "
        "(the most over the rounds); what the lean Adam leaves comes from Keras' "
        "synchronized BatchNormalization, which all-reduces its moments even on one device. "
        f"Steps (first fit, steady): {steps}. Grappler (TensorFlow's graph optimizer; the "
        f"tests run without it): {', '.join(grappler)}. 1-minute load average before the "
        f"cells: {common.format_spread(loads, 1) if loads else 'unknown'} (2 cores).",
        "",
        *rows,
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trainers", default=",".join(TRAINERS))
    parser.add_argument("--fit_steps", type=int, default=2)
    parser.add_argument("--steady_steps", type=int, default=20)
    parser.add_argument("--grappler", choices=["on", "off"], default="on",
                        help="TensorFlow's graph optimizer; the tests run with it off")
    parser.add_argument("--out_dir", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    names = common.names_from_flag(parser, "trainers", args.trainers, TRAINERS)
    common.require_positive(parser, args, "rounds", "fit_steps", "steady_steps")
    for round_index in range(args.rounds):
        for name in names:
            for variant in common.round_order(VARIANTS, round_index):
                run_cell(args.out_dir, name, variant, round_index, args.fit_steps,
                         args.steady_steps, grappler=args.grappler == "on")
    common.write_cells_report(args.out_dir, "benchmarks.adam_trace", report, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
