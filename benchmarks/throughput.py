"""Training throughput of the reference conditional WGAN-GP (and DADA, DFG), XLA vs not.

The reference conditional WGAN-GP is fixed so results compare across libraries
(`tfgenaug.networks.reference`): 32x32xC images (C = 3 and 1), K = 10, z = 128 ~ N(0, 1),
n_critic = 5, lambda = 10, Adam(1e-4, 0.0, 0.9) for both networks, batch 64, trained by
tfgenaug's `WGANGP` trainer through `fit()`. In one process, with the variants
interleaved in rotating order and repeated, it measures:

1. generator steps/s (each with its 5 critic steps) with `jit_compile=True` and `False`;
2. the same for DADA's stage-1 step (one discriminator and two generator updates) on its
   default networks at 32x32x3, and for DFG's step (5 feature-critic updates, a
   generator update and an extractor+classifier update) on LeNet-5 split after conv1
   at 32x32x3 (14x14x6 feature maps, as in the paper);
3. a large float32 `tf.matmul` with and without XLA, the machine's matmul peak in the
   same run and under the same load;
4. the input pipeline alone (`tf.data` with cache and prefetch): batches/s.

FLOPs per step are counted on the step's TensorFlow graph by the TF profiler's op
registry (convolutions and their gradients, matmuls, and elementwise ops at one FLOP
per element), and, for WGAN-GP, also analytically from the layer shapes (see
`analytic_wgan_gp_flops`). Achieved FLOP/s = FLOPs per step / time per step.

Usage:
    python -m benchmarks.throughput                          # full run, ~20-40 min loaded
    python -m benchmarks.throughput --quick --out=/tmp/t.md  # smoke run, < 60 s
"""

import argparse
import dataclasses
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import common  # noqa: E402
from tfgenaug.networks.dfg_networks import lenet5_split  # noqa: E402
from tfgenaug.networks.reference import reference_critic  # noqa: E402
from tfgenaug.networks.reference import reference_generator  # noqa: E402
from tfgenaug.trainers.dada import DADA  # noqa: E402
from tfgenaug.trainers.dfg import DFG  # noqa: E402
from tfgenaug.trainers.wgan_gp import WGANGP  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "throughput.md")
NUM_CLASSES = 10
NOISE_DIM = 128
IMAGE_SIZE = 32
SPEEDUP_GOAL = 1.3
PEAK_SHARE_GOAL = 0.40
PIPELINE_GOAL = 10.0
SEED = 0


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much work one timing does and how often it is repeated."""

    repeats: int
    channels: tuple[int, ...]
    batch: int
    n_critic: int
    wgan_steps: int  # generator steps per timing
    dada_steps: int  # DADA train steps per timing; 0 skips DADA
    dada_width: float
    dfg_steps: int  # DFG train steps per timing; 0 skips DFG
    matmul_size: int
    matmul_chain: int  # matmuls per timing
    pipeline_batches: int


FULL = Settings(repeats=3, channels=(3, 1), batch=64, n_critic=5, wgan_steps=2,
                dada_steps=4, dada_width=1.0, dfg_steps=4, matmul_size=2048, matmul_chain=4,
                pipeline_batches=1000)
# Quick: the smallest run through the WGAN-GP, matmul and pipeline paths. DADA and DFG
# are skipped: tracing and compiling their two step functions each (XLA and not) took
# 36 of the quick run's 66 s, and the trainers' XLA steps are tested with the trainers.
QUICK = Settings(repeats=2, channels=(1,), batch=8, n_critic=1, wgan_steps=1,
                 dada_steps=0, dada_width=0.125, dfg_steps=0, matmul_size=256, matmul_chain=2,
                 pipeline_batches=50)


# ----------------------------------------------------------------- FLOPs
def layer_flops(model: keras.Model) -> dict[str, int]:
    """Forward FLOPs per example of each Dense / Conv2D / Conv2DTranspose layer.

    One multiply-add is 2 FLOPs; biases, activations and normalisation are left out.
    A `Conv2D` costs `2 * H_out * W_out * C_out * kh * kw * C_in`, a `Conv2DTranspose`
    `2 * H_in * W_in * C_in * kh * kw * C_out` (every input pixel scatters one kernel),
    a `Dense` `2 * inputs * units`.
    """
    flops = {}
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            _, h, w, c_in = layer.input.shape
            kh, kw = layer.kernel_size
            flops[layer.name] = 2 * h * w * c_in * kh * kw * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            flops[layer.name] = 2 * h * w * c_out * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, keras.layers.Dense):
            flops[layer.name] = 2 * layer.input.shape[-1] * layer.units
    return flops


def analytic_wgan_gp_flops(generator: keras.Model, critic: keras.Model, batch: int,
                           n_critic: int) -> int:
    """FLOPs of one WGAN-GP generator step with its `n_critic` critic steps.

    With `G` and `D` the forward FLOPs of a batch, a backward pass (gradients for
    inputs and weights) costing twice its forward pass:
    - critic step: G forward (G), D forward + backward on real and fake (2 * 3D), and the
      gradient penalty: D forward and input gradient (2D), then their backward (2 * 2D);
      in all `G + 12 D`;
    - generator step: G and D forward, D's input gradient, G's backward: `3 G + 2 D`.
    One generator step: `n_critic * (G + 12 D) + 3 G + 2 D`.
    """
    g = sum(layer_flops(generator).values()) * batch
    d = sum(layer_flops(critic).values()) * batch
    return n_critic * (g + 12 * d) + 3 * g + 2 * d


def graph_flops(trainer: keras.Model, step_fn, batch: int) -> int:
    """FLOPs of one call of `step_fn` counted by the TF profiler on its traced graph."""
    specs = (tf.TensorSpec([batch, *trainer.image_shape], tf.float32),
             tf.TensorSpec([batch], tf.int32))
    graph = tf.function(step_fn).get_concrete_function(specs).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


# ----------------------------------------------------------------- workloads
def dataset(image_shape, batch: int) -> tf.data.Dataset:
    """Random images in [-1, 1] and labels, cached, repeated, batched and prefetched.

    The values do not change the cost of a step; 20 batches are cached in memory.
    """
    rng = np.random.default_rng(SEED)
    n = 20 * batch
    images = rng.uniform(-1, 1, (n, *image_shape)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, n).astype("int32")
    return (tf.data.Dataset.from_tensor_slices((images, labels)).cache()
            .shuffle(n, seed=SEED).repeat().batch(batch, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


def reference_wgan_gp(channels: int, settings: Settings, jit_compile: bool) -> WGANGP:
    """The reference conditional WGAN-GP, compiled."""
    shape = (IMAGE_SIZE, IMAGE_SIZE, channels)
    keras.utils.set_random_seed(SEED)
    trainer = WGANGP(num_classes=NUM_CLASSES, noise_dim=NOISE_DIM, n_critic=settings.n_critic,
                     gp_weight=10.0, generator=reference_generator(shape, NUM_CLASSES, NOISE_DIM),
                     discriminator=reference_critic(shape, NUM_CLASSES), seed=SEED)
    trainer.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    jit_compile=jit_compile)
    return trainer


def dada(settings: Settings, jit_compile: bool) -> DADA:
    """DADA at 32x32x3 on its default networks, in stage 1 for the whole run."""
    keras.utils.set_random_seed(SEED)
    trainer = DADA((IMAGE_SIZE, IMAGE_SIZE, 3), NUM_CLASSES, gan_steps=10**9,
                   width_multiplier=settings.dada_width, seed=SEED)
    trainer.compile(jit_compile=jit_compile)
    return trainer


def dfg(settings: Settings, jit_compile: bool) -> DFG:
    """DFG on LeNet-5 split after conv1 at 32x32x3, every class a minority class."""
    keras.utils.set_random_seed(SEED)
    extractor, classifier = lenet5_split((IMAGE_SIZE, IMAGE_SIZE, 3), NUM_CLASSES)
    # classifier_every beyond the run: every timed step is the same GAN + E/C step.
    trainer = DFG(extractor, classifier, NUM_CLASSES, classifier_every=10**9,
                  attention_every=10**9, seed=SEED)
    trainer.compile(jit_compile=jit_compile)
    return trainer


def fit_fn(trainer: keras.Model, ds: tf.data.Dataset, steps: int):
    """A callable running `steps` train steps through `fit`."""

    def run():
        trainer.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)

    return run


def matmul_fn(size: int, chain: int, jit_compile: bool):
    """A callable doing `chain` float32 `size x size` matmuls; and its FLOPs."""
    a = tf.random.stateless_normal([size, size], seed=[SEED, 1])
    b = tf.random.stateless_normal([size, size], seed=[SEED, 2]) / size**0.5

    @tf.function(jit_compile=jit_compile)
    def chained(x):
        for _ in range(chain):
            x = tf.matmul(x, b)
        return x

    def run():
        chained(a).numpy()

    return run, chain * 2 * size**3


def pipeline_fn(ds: tf.data.Dataset, batches: int):
    """A callable pulling `batches` batches from a fresh iterator of `ds`."""

    def run():
        for _ in ds.take(batches):
            pass

    return run


# ----------------------------------------------------------------- measure
def measure(settings: Settings) -> dict:
    """Builds every variant, times them interleaved, returns timings and FLOP counts."""
    variants, flops, steps, analytic = {}, {}, {}, {}
    for channels in settings.channels:
        ds = dataset((IMAGE_SIZE, IMAGE_SIZE, channels), settings.batch)
        for jit in (True, False):
            name = f"wgan_gp C={channels} {'XLA' if jit else 'no XLA'}"
            trainer = reference_wgan_gp(channels, settings, jit)
            variants[name] = fit_fn(trainer, ds, settings.wgan_steps)
            flops[name] = graph_flops(trainer, trainer.train_step, settings.batch)
            steps[name] = settings.wgan_steps
        analytic[channels] = analytic_wgan_gp_flops(
            trainer.generator, trainer.discriminator, settings.batch, settings.n_critic)
    if settings.dada_steps:
        ds = dataset((IMAGE_SIZE, IMAGE_SIZE, 3), settings.batch)
        for jit in (True, False):
            name = f"dada C=3 {'XLA' if jit else 'no XLA'}"
            trainer = dada(settings, jit)
            variants[name] = fit_fn(trainer, ds, settings.dada_steps)
            flops[name] = graph_flops(trainer, trainer.gan_train_step, settings.batch)
            steps[name] = settings.dada_steps
    if settings.dfg_steps:
        ds = dataset((IMAGE_SIZE, IMAGE_SIZE, 3), settings.batch)
        for jit in (True, False):
            name = f"dfg C=3 {'XLA' if jit else 'no XLA'}"
            trainer = dfg(settings, jit)
            variants[name] = fit_fn(trainer, ds, settings.dfg_steps)
            flops[name] = graph_flops(trainer, trainer.gan_train_step, settings.batch)
            steps[name] = settings.dfg_steps
    for jit in (True, False):
        name = f"matmul {'XLA' if jit else 'no XLA'}"
        variants[name], flops[name] = matmul_fn(settings.matmul_size, settings.matmul_chain, jit)
        steps[name] = 1
    pipeline_ds = dataset((IMAGE_SIZE, IMAGE_SIZE, settings.channels[0]), settings.batch)
    variants["pipeline"] = pipeline_fn(pipeline_ds, settings.pipeline_batches)
    steps["pipeline"] = settings.pipeline_batches
    flops["pipeline"] = 0
    times = common.interleaved(variants, settings.repeats)
    return {"times": times, "flops": flops, "steps": steps, "analytic": analytic}


# ----------------------------------------------------------------- report
def per_step(results: dict, name: str) -> list[float]:
    """Seconds per step (or per batch, or per matmul chain) of each repeat."""
    return [t / results["steps"][name] for t in results["times"][name]]


def flop_rate(results: dict, name: str) -> list[float]:
    """Achieved FLOP/s of each repeat."""
    return [results["flops"][name] / t for t in per_step(results, name)]


def peak(results: dict) -> list[float]:
    """Per repeat, the faster of the XLA and non-XLA matmul FLOP/s."""
    return [max(a, b) for a, b in zip(flop_rate(results, "matmul XLA"),
                                      flop_rate(results, "matmul no XLA"), strict=True)]


def verdict(value: float, goal: float) -> str:
    return f"**{'met' if value >= goal else 'NOT met'}** (goal >= {goal:g})"


def report(results: dict, settings: Settings, quick: bool, command: str,
           seconds: float, load: str = "") -> str:
    """The Markdown results file."""
    machine_peak = peak(results)
    lines = [
        "# Training throughput: reference conditional WGAN-GP, DADA and DFG, XLA vs not",
        "",
        common.machine_line(),
        "",
        load or common.load_line(None, None),
        "",
        "Under other load absolute numbers are low and noisy; the ratios compare variants "
        "timed interleaved under the same load.",
        "",
        f"Command: `{command}`" + (" (QUICK smoke run: the numbers are noise)" if quick else ""),
        "",
        f"Date: {common.utc_now()}; run took {seconds:.0f} s.",
        "",
        f"Setup: reference conditional WGAN-GP (`tfgenaug.networks.reference`), batch "
        f"{settings.batch}, n_critic {settings.n_critic}, lambda 10, Adam(1e-4, 0.0, 0.9), "
        f"trained with `WGANGP.fit()`; {settings.wgan_steps} generator steps per timing. "
        + (f"DADA: `DADA((32, 32, 3), 10, width_multiplier={settings.dada_width:g})` in stage "
           f"1 (one discriminator and two generator updates per step), batch {settings.batch}, "
           f"{settings.dada_steps} steps per timing. " if settings.dada_steps else "")
        + ("DFG: `DFG(*lenet5_split((32, 32, 3), 10), 10)` (14x14x6 feature maps), 5 "
           "feature-critic updates, a generator and an extractor+classifier update per step, "
           f"batch {settings.batch}, {settings.dfg_steps} steps per timing. "
           if settings.dfg_steps else "")
        + "Input: random images cached in memory, "
        "shuffled, repeated, batched and prefetched (`tf.data.AUTOTUNE`). Variants interleaved "
        f"in rotating order, {settings.repeats} timed repeats each after one untimed warm-up "
        "call (tracing and XLA compilation excluded). Ratios are taken per repeat; shown as "
        "median (min-max).",
        "",
        "Matmul peak: per repeat, the faster of a chain of "
        f"{settings.matmul_chain} float32 {settings.matmul_size}x{settings.matmul_size} "
        "`tf.matmul`s with and without XLA: "
        f"{common.format_spread([p / 1e9 for p in machine_peak], 1, ' GFLOP/s')}.",
        "",
        "| Step | XLA steps/s | no-XLA steps/s | XLA speed-up | GFLOP/step | XLA GFLOP/s "
        "| XLA share of matmul peak | no-XLA share of peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    goal_lines = []
    prefixes = [f"wgan_gp C={c}" for c in settings.channels]
    if settings.dada_steps:
        prefixes.append("dada C=3")
    if settings.dfg_steps:
        prefixes.append("dfg C=3")
    for prefix in prefixes:
        xla, plain = f"{prefix} XLA", f"{prefix} no XLA"
        speedup = common.ratios(per_step(results, plain), per_step(results, xla))
        share_xla = common.ratios(flop_rate(results, xla), machine_peak)
        share_plain = common.ratios(flop_rate(results, plain), machine_peak)
        lines.append(
            f"| {prefix} | {common.format_spread([1 / t for t in per_step(results, xla)], 3)} "
            f"| {common.format_spread([1 / t for t in per_step(results, plain)], 3)} "
            f"| {prefix} speed-up: {common.format_spread(speedup, unit='x')} "
            f"| {results['flops'][xla] / 1e9:.1f} "
            f"| {common.format_spread([f / 1e9 for f in flop_rate(results, xla)], 1)} "
            f"| {common.format_spread([100 * s for s in share_xla], 0, ' %')} "
            f"| {common.format_spread([100 * s for s in share_plain], 0, ' %')} |")
        goal_lines += [
            f"- {prefix}: XLA / no-XLA speed {common.spread(speedup)[0]:.2f}x: "
            f"{verdict(common.spread(speedup)[0], SPEEDUP_GOAL)}",
            f"- {prefix}: XLA step at {100 * common.spread(share_xla)[0]:.0f} % of the matmul "
            f"peak: {verdict(common.spread(share_xla)[0], PEAK_SHARE_GOAL)}",
        ]
    pipeline = common.ratios([1 / t for t in per_step(results, "pipeline")],
                             [1 / t for t in per_step(results, f"{prefixes[0]} XLA")])
    pipeline_plain = common.ratios([1 / t for t in per_step(results, "pipeline")],
                                   [1 / t for t in per_step(results, f"{prefixes[0]} no XLA")])
    pipeline_worst = min(common.spread(pipeline)[0], common.spread(pipeline_plain)[0])
    lines += [
        "",
        ("" if settings.dada_steps else "DADA is skipped in this run.")
        + ("" if settings.dfg_steps else " DFG is skipped in this run."),
        "",
        "## Goals",
        "",
        *goal_lines,
        f"- input pipeline alone / training ({prefixes[0]}), batches/s: pipeline ratio: "
        f"{common.format_spread(pipeline, 0, 'x')} against the XLA step, "
        f"{common.format_spread(pipeline_plain, 0, 'x')} against the no-XLA step: "
        f"{verdict(pipeline_worst, PIPELINE_GOAL)}",
        "",
        "## FLOP counts",
        "",
        "GFLOP per step from the TF profiler on the traced step graph (convolutions, their "
        "gradients and matmuls, plus elementwise ops at one FLOP per element) against the "
        "analytic count of convolutions and dense layers alone (`analytic_wgan_gp_flops`: "
        "a critic step is `G + 12 D`, a generator step `3 G + 2 D`, with G and D the forward "
        "FLOPs of a batch):",
        "",
    ]
    for channels, value in results["analytic"].items():
        graph = results["flops"][f"wgan_gp C={channels} XLA"]
        lines.append(f"- wgan_gp C={channels}: graph {graph / 1e9:.1f}, analytic "
                     f"{value / 1e9:.1f} GFLOP per generator step.")
    lines += ["", "Raw timings (s per timing, in repeat order):", ""]
    for name, times in results["times"].items():
        lines.append(f"- {name} ({results['steps'][name]} steps): "
                     + ", ".join(f"{t:.3f}" for t in times))
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run (small batch, n_critic 1, C = 1), < 60 s")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the Markdown results file")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    command = common.command_line("benchmarks.throughput", argv)
    start, load_at_start = time.perf_counter(), common.load_average()
    results = measure(settings)
    text = report(results, settings, args.quick, command, time.perf_counter() - start,
                  load=common.load_line(load_at_start, common.load_average()))
    common.write_markdown(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
