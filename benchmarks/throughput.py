"""Training throughput of the reference WGAN-GP, DCGAN, DADA and DFG: XLA, no XLA, auto.

The reference conditional WGAN-GP is fixed so results compare across libraries
(`tfgenaug.networks.reference`): 32x32xC images (C = 3 and 1), K = 10, z = 128 ~ N(0, 1),
n_critic = 5, lambda = 10, Adam(1e-4, 0.0, 0.9) for both networks, batch 64, trained by
tfgenaug's `WGANGP` trainer through `fit()`. In one process, with the variants
interleaved in rotating order and repeated, it measures:

1. generator steps/s (each with its 5 critic steps) with `jit_compile=True`, `False` and
   `"auto"` (the default: the path is chosen by `choose_compile_path` on the benchmark's
   data before the timed repeats; the probe's one-off seconds are reported apart);
2. the same three for DCGAN's step (one discriminator and one generator update) on the
   reference networks at 32x32x3, DADA's stage-1 step (one discriminator and two
   generator updates) on its default networks at 32x32x3, and DFG's step (5
   feature-critic updates, a generator update and an extractor+classifier update) on
   LeNet-5 split after conv1 at 32x32x3 (14x14x6 feature maps, as in the paper);
3. when PyTorch is installed (`pip install -e .[bench]`), the same WGAN-GP written in
   plain PyTorch eager (`benchmarks/torch_reference.py`), timed interleaved with
   tfgenaug's WGAN-GP variants: tfgenaug's default (auto) / PyTorch eager;
4. a large float32 `tf.matmul` with and without XLA, the machine's matmul peak in the
   same run and under the same load;
5. the input pipeline alone (`tf.data` with cache and prefetch): batches/s.

FLOPs per step are counted on the step's TensorFlow graph by the TF profiler's op
registry (convolutions and their gradients, matmuls, and elementwise ops at one FLOP
per element), and, for WGAN-GP, also analytically from the layer shapes (see
`analytic_wgan_gp_flops`). Achieved FLOP/s = FLOPs per step / time per step.

Usage:
    python -m benchmarks.throughput                          # full run, ~30-60 min loaded
    python -m benchmarks.throughput --quick --out=/tmp/t.md  # smoke run, < 90 s
    python -m benchmarks.throughput --report_only  # rewrite the report from its .json

Each run keeps its raw results beside the report (`throughput.json`), so the report can
be rewritten without measuring again.
"""

import argparse
import dataclasses
import importlib.util
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# PyTorch's OpenMP threads spin at their barriers by default; on a shared 2-core machine
# under load that made its reference step 3-10x slower with 2 threads than with 1
# (0.5-4 s against 0.14 s at batch 8). Passive waiting removes it (0.16 s) and only
# helps the PyTorch peer. Read by OpenMP when torch loads, so set before any import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import common  # noqa: E402
from tfgenaug import jsonio  # noqa: E402
from tfgenaug.networks.dfg_networks import lenet5_split  # noqa: E402
from tfgenaug.networks.reference import reference_critic  # noqa: E402
from tfgenaug.networks.reference import reference_generator  # noqa: E402
from tfgenaug.trainers import compile_path  # noqa: E402
from tfgenaug.trainers.dada import DADA  # noqa: E402
from tfgenaug.trainers.dcgan import DCGAN  # noqa: E402
from tfgenaug.trainers.dfg import DFG  # noqa: E402
from tfgenaug.trainers.wgan_gp import WGANGP  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "throughput.md")
NUM_CLASSES = 10
NOISE_DIM = 128
IMAGE_SIZE = 32
SPEEDUP_GOAL = 1.3  # issue 10: the reference WGAN-GP's XLA step over its graph step
XLA_PARITY_GOAL = 1.0  # issue 22: every trainer's XLA step at least as fast as its graph step
PEAK_SHARE_GOAL = 0.40
PIPELINE_GOAL = 10.0
TORCH_GOAL = 1.3  # tfgenaug's default (auto) / PyTorch eager, reference WGAN-GP
# Auto is "within the noise" of the faster fixed path when its median per-repeat ratio
# to it is at least 1 - tolerance: the faster path's own relative spread, or this floor.
NOISE_FLOOR = 0.05
NO_TORCH = "PyTorch not installed (pip install -e .[bench])"
SEED = 0
# The compile variants of every trainer: label -> `jit_compile`.
COMPILE_VARIANTS = {"XLA": True, "no XLA": False, "auto": compile_path.AUTO}


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much work one timing does and how often it is repeated."""

    repeats: int
    channels: tuple[int, ...]
    batch: int
    n_critic: int
    wgan_steps: int  # generator steps per timing
    dcgan_steps: int  # DCGAN train steps per timing; 0 skips DCGAN
    dada_steps: int  # DADA train steps per timing; 0 skips DADA
    dada_width: float
    dfg_steps: int  # DFG train steps per timing; 0 skips DFG
    matmul_size: int
    matmul_chain: int  # matmuls per timing
    pipeline_batches: int


FULL = Settings(repeats=3, channels=(3, 1), batch=64, n_critic=5, wgan_steps=2,
                dcgan_steps=8, dada_steps=4, dada_width=1.0, dfg_steps=4, matmul_size=2048,
                matmul_chain=4, pipeline_batches=1000)
# Quick: the smallest run through the WGAN-GP (XLA, no XLA, auto and PyTorch), matmul
# and pipeline paths. DCGAN, DADA and DFG are skipped: tracing and compiling DADA's and
# DFG's two step functions each (XLA and not) took 36 of a 66 s quick run, auto's probe
# traces both paths again, and the trainers' XLA steps are tested with the trainers.
QUICK = Settings(repeats=2, channels=(1,), batch=8, n_critic=1, wgan_steps=1,
                 dcgan_steps=0, dada_steps=0, dada_width=0.125, dfg_steps=0, matmul_size=256,
                 matmul_chain=2, pipeline_batches=50)


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
_NO_AUTOTUNING = tf.data.Options()
_NO_AUTOTUNING.autotune.enabled = False


def dataset(image_shape, batch: int) -> tf.data.Dataset:
    """Random images in [-1, 1] and labels, cached, repeated, batched and prefetched.

    The values do not change the cost of a step; 20 batches are cached in memory.
    tf.data's autotuning is off: with it on, a short `fit` often returned seconds after
    its last step (waiting for the autotuner's thread at teardown), which made whole-`fit`
    timings bimodal (`benchmarks.xla_profile`'s "Harness" section).
    """
    rng = np.random.default_rng(SEED)
    n = 20 * batch
    images = rng.uniform(-1, 1, (n, *image_shape)).astype("float32")
    labels = rng.integers(0, NUM_CLASSES, n).astype("int32")
    return (tf.data.Dataset.from_tensor_slices((images, labels)).cache()
            .shuffle(n, seed=SEED).repeat().batch(batch, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE).with_options(_NO_AUTOTUNING))


def reference_wgan_gp(channels: int, settings: Settings, jit_compile: bool | str) -> WGANGP:
    """The reference conditional WGAN-GP, compiled with `jit_compile` (True, False, "auto")."""
    shape = (IMAGE_SIZE, IMAGE_SIZE, channels)
    keras.utils.set_random_seed(SEED)
    trainer = WGANGP(num_classes=NUM_CLASSES, noise_dim=NOISE_DIM, n_critic=settings.n_critic,
                     gp_weight=10.0, generator=reference_generator(shape, NUM_CLASSES, NOISE_DIM),
                     discriminator=reference_critic(shape, NUM_CLASSES), seed=SEED)
    trainer.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                    jit_compile=jit_compile)
    return trainer


def dcgan(settings: Settings, jit_compile: bool | str) -> DCGAN:
    """DCGAN on the reference networks at 32x32x3, with its default optimizers."""
    shape = (IMAGE_SIZE, IMAGE_SIZE, 3)
    keras.utils.set_random_seed(SEED)
    trainer = DCGAN(num_classes=NUM_CLASSES, noise_dim=NOISE_DIM,
                    generator=reference_generator(shape, NUM_CLASSES, NOISE_DIM),
                    discriminator=reference_critic(shape, NUM_CLASSES), seed=SEED)
    trainer.compile(jit_compile=jit_compile)
    return trainer


def dada(settings: Settings, jit_compile: bool | str) -> DADA:
    """DADA at 32x32x3 on its default networks, in stage 1 for the whole run."""
    keras.utils.set_random_seed(SEED)
    trainer = DADA((IMAGE_SIZE, IMAGE_SIZE, 3), NUM_CLASSES, gan_steps=10**9,
                   width_multiplier=settings.dada_width, seed=SEED)
    trainer.compile(jit_compile=jit_compile)
    return trainer


def dfg(settings: Settings, jit_compile: bool | str) -> DFG:
    """DFG on LeNet-5 split after conv1 at 32x32x3, every class a minority class."""
    keras.utils.set_random_seed(SEED)
    extractor, classifier = lenet5_split((IMAGE_SIZE, IMAGE_SIZE, 3), NUM_CLASSES)
    # classifier_every beyond the run: every timed step is the same GAN + E/C step.
    trainer = DFG(extractor, classifier, NUM_CLASSES, classifier_every=10**9,
                  attention_every=10**9, seed=SEED)
    trainer.compile(jit_compile=jit_compile)
    return trainer


def torch_available() -> bool:
    """Whether PyTorch can be imported (the `bench` extra)."""
    return importlib.util.find_spec("torch") is not None


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
@dataclasses.dataclass
class Workloads:
    """What `measure` times, and what it learns while building it."""

    variants: dict = dataclasses.field(default_factory=dict)  # name -> callable
    flops: dict = dataclasses.field(default_factory=dict)  # name -> FLOPs per step
    steps: dict = dataclasses.field(default_factory=dict)  # name -> steps per timing
    paths: dict = dataclasses.field(default_factory=dict)  # prefix -> auto's CompilePath
    probe_seconds: dict = dataclasses.field(default_factory=dict)  # prefix -> seconds


def add_compile_variants(work: Workloads, prefix: str, build, ds: tf.data.Dataset,
                         steps: int, step_name: str = "train_step") -> keras.Model:
    """Adds `{prefix} XLA`, `{prefix} no XLA` and `{prefix} auto` to `work`.

    The auto trainer's path is chosen by `choose_compile_path(ds)` here, before any
    timing; the probe's wall time goes to `work.probe_seconds[prefix]`.

    Args:
        work: the `Workloads` to add to.
        prefix: the trainer's row name, e.g. `"wgan_gp C=3"`.
        build: `jit_compile -> compiled trainer`.
        ds: the training data.
        steps: train steps per timing.
        step_name: the trainer's method whose graph `graph_flops` counts.

    Returns:
        The last trainer built (auto's).
    """
    for label, jit in COMPILE_VARIANTS.items():
        name = f"{prefix} {label}"
        trainer = build(jit)
        if jit == compile_path.AUTO:
            start = time.perf_counter()
            work.paths[prefix] = trainer.choose_compile_path(ds)
            work.probe_seconds[prefix] = time.perf_counter() - start
            work.flops[name] = work.flops[f"{prefix} XLA"]  # the same maths
        else:
            work.flops[name] = graph_flops(trainer, getattr(trainer, step_name), ds_batch(ds))
        work.variants[name] = fit_fn(trainer, ds, steps)
        work.steps[name] = steps
    return trainer


def ds_batch(ds: tf.data.Dataset) -> int:
    """The static batch size of a batched dataset of `(images, labels)`."""
    return int(ds.element_spec[0].shape[0])


def add_torch_variant(work: Workloads, prefix: str, channels: int, settings: Settings) -> str:
    """Adds `{prefix} torch eager`: the reference WGAN-GP in PyTorch; returns its version."""
    from benchmarks import torch_reference  # only with the `bench` extra

    model = torch_reference.build(channels, n_critic=settings.n_critic, seed=SEED)
    batches = torch_reference.random_batches(channels, settings.batch, 20, seed=SEED)
    name = f"{prefix} torch eager"
    work.variants[name] = torch_reference.steps_fn(model, batches, settings.wgan_steps)
    work.steps[name] = settings.wgan_steps
    work.flops[name] = work.flops[f"{prefix} XLA"]
    import torch

    return (f"{torch.__version__}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY="
            f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}")


def measure(settings: Settings, use_torch: bool | None = None) -> dict:
    """Builds every variant, times them interleaved, returns timings and FLOP counts.

    Args:
        settings: the run's `Settings`.
        use_torch: time the PyTorch peer; `None`: when PyTorch imports.

    Returns:
        `{"times", "flops", "steps", "analytic", "paths", "probe_seconds", "torch"}`;
        `"torch"` is PyTorch's version and threads, or None when it was not timed.
    """
    work, analytic = Workloads(), {}
    use_torch = torch_available() if use_torch is None else use_torch
    torch_version = None
    for channels in settings.channels:
        ds = dataset((IMAGE_SIZE, IMAGE_SIZE, channels), settings.batch)
        prefix = f"wgan_gp C={channels}"
        trainer = add_compile_variants(
            work, prefix, lambda jit, c=channels: reference_wgan_gp(c, settings, jit), ds,
            settings.wgan_steps)
        analytic[channels] = analytic_wgan_gp_flops(
            trainer.generator, trainer.discriminator, settings.batch, settings.n_critic)
        if use_torch:
            torch_version = add_torch_variant(work, prefix, channels, settings)
    others = (("dcgan C=3", dcgan, settings.dcgan_steps, "train_step"),
              ("dada C=3", dada, settings.dada_steps, "gan_train_step"),
              ("dfg C=3", dfg, settings.dfg_steps, "gan_train_step"))
    for prefix, build, steps, step_name in others:
        if steps:
            ds = dataset((IMAGE_SIZE, IMAGE_SIZE, 3), settings.batch)
            add_compile_variants(work, prefix, lambda jit, b=build: b(settings, jit), ds, steps,
                                 step_name)
    for jit in (True, False):
        name = f"matmul {'XLA' if jit else 'no XLA'}"
        work.variants[name], work.flops[name] = matmul_fn(settings.matmul_size,
                                                          settings.matmul_chain, jit)
        work.steps[name] = 1
    pipeline_ds = dataset((IMAGE_SIZE, IMAGE_SIZE, settings.channels[0]), settings.batch)
    work.variants["pipeline"] = pipeline_fn(pipeline_ds, settings.pipeline_batches)
    work.steps["pipeline"] = settings.pipeline_batches
    work.flops["pipeline"] = 0
    times = common.interleaved(work.variants, settings.repeats)
    return {"times": times, "flops": work.flops, "steps": work.steps, "analytic": analytic,
            "paths": work.paths, "probe_seconds": work.probe_seconds, "torch": torch_version}


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


def steps_per_second(results: dict, name: str) -> list[float]:
    """Steps (or batches) per second of each repeat."""
    return [1 / t for t in per_step(results, name)]


def prefixes_of(settings: Settings) -> list[str]:
    """The row names of the trainers the run times."""
    prefixes = [f"wgan_gp C={c}" for c in settings.channels]
    for prefix, steps in (("dcgan C=3", settings.dcgan_steps),
                          ("dada C=3", settings.dada_steps), ("dfg C=3", settings.dfg_steps)):
        if steps:
            prefixes.append(prefix)
    return prefixes


def auto_against_faster(results: dict, prefix: str) -> tuple[list[float], float]:
    """Auto's per-repeat speed over the faster of XLA and no XLA, and the noise tolerance.

    Returns:
        `(ratios, tolerance)`: `auto / max(XLA, no XLA)` steps/s per repeat, and the
        relative min-max spread of the faster fixed path's steps/s (at least
        `NOISE_FLOOR`). Auto is within the noise when the median ratio is at least
        `1 - tolerance`.
    """
    xla = steps_per_second(results, f"{prefix} XLA")
    plain = steps_per_second(results, f"{prefix} no XLA")
    auto = steps_per_second(results, f"{prefix} auto")
    faster = [max(a, b) for a, b in zip(xla, plain, strict=True)]
    steady = xla if common.spread(xla)[0] >= common.spread(plain)[0] else plain
    median, low, high = common.spread(steady)
    return common.ratios(auto, faster), max(NOISE_FLOOR, (high - low) / median)


def within_noise(ratios: list[float], tolerance: float) -> bool:
    """Whether the median of `ratios` is at least `1 - tolerance`."""
    return common.spread(ratios)[0] >= 1 - tolerance


def compile_path_lines(results: dict, prefixes: list[str]) -> list[str]:
    """The table of XLA, no XLA and auto, and auto's choices."""
    lines = [
        "## Compile paths: XLA, no XLA and auto (`jit_compile=\"auto\"`, the default)",
        "",
        "Auto's path is chosen by `trainer.choose_compile_path(dataset)` before the timed "
        "repeats; its one-off cost (tracing both paths, XLA compilation, "
        f"up to {compile_path.PROBE_ROUNDS} interleaved rounds of {compile_path.PROBE_STEPS} "
        "timed steps per path, fewer once one path is decisively slower, the restore) is "
        "the probe column, not in the steps/s. "
        "auto / faster: per repeat, auto's steps/s over the faster of XLA and no XLA in that "
        "repeat (the faster of two noisy timings is biased up, so a median a little under 1 "
        "is expected even on the right path). Within the noise: the median is at least 1 "
        "minus the faster path's relative min-max spread over repeats (at least "
        f"{NOISE_FLOOR:g}).",
        "",
        "| Step | XLA steps/s | no-XLA steps/s | auto steps/s | auto's path | probe (one-off) "
        "| auto / faster | auto within the noise of the faster |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for prefix in prefixes:
        ratios, tolerance = auto_against_faster(results, prefix)
        path = results["paths"][prefix]
        lines.append(
            f"| {prefix} "
            + "".join(f"| {common.format_spread(steps_per_second(results, f'{prefix} {v}'), 3)} "
                      for v in COMPILE_VARIANTS)
            + f"| {prefix} auto path: {'XLA' if path.jit_compile else 'graph'} ({path.reason}) "
            f"| {results['probe_seconds'][prefix]:.1f} s "
            f"| {prefix} auto / faster: {common.format_spread(ratios, unit='x')} "
            f"| {'yes' if within_noise(ratios, tolerance) else 'no'} "
            f"(median {common.spread(ratios)[0]:.2f}, tolerance {tolerance:.2f}) |")
    lines += ["", "Auto's choices, with the probe's own timings:", ""]
    for prefix in prefixes:
        lines.append(f"- {prefix}: {results['paths'][prefix].describe()}; the probe took "
                     f"{results['probe_seconds'][prefix]:.1f} s.")
    return lines


def torch_lines(results: dict, settings: Settings) -> tuple[list[str], list[str]]:
    """The PyTorch section and its goal lines."""
    lines = ["## tfgenaug vs PyTorch eager: the reference WGAN-GP", ""]
    if results["torch"] is None:
        return (lines + [f"{NO_TORCH}.", ""],
                [f"- tfgenaug's default >= {TORCH_GOAL:g}x PyTorch eager: not measured: "
                 f"{NO_TORCH}"])
    lines += [
        f"PyTorch {results['torch']} (`torch.set_num_threads(os.cpu_count())`; the "
        "benchmark sets `OMP_WAIT_POLICY=PASSIVE` unless given: OpenMP threads spinning at "
        "barriers made PyTorch's step several times slower on a loaded 2-core machine), "
        "eager, CPU, NCHW float32: `benchmarks/torch_reference.py`, the reference networks "
        "layer for layer (parameter counts equal Keras', tested) and the same step: "
        f"{settings.n_critic} critic updates with gradient penalty (lambda 10, "
        "`torch.autograd.grad(create_graph=True)`) and one generator update, Adam(1e-4, "
        f"betas (0.0, 0.9)), batch {settings.batch}, random batches kept in memory; timed "
        "interleaved with tfgenaug's WGAN-GP variants. Ratios are tfgenaug steps/s over "
        "PyTorch's, per repeat.",
        "",
        "| Step | PyTorch eager steps/s | tfgenaug default (auto) / PyTorch eager "
        "| XLA / PyTorch | no XLA / PyTorch |",
        "|---|---|---|---|---|",
    ]
    goals = []
    for channels in settings.channels:
        prefix = f"wgan_gp C={channels}"
        eager = steps_per_second(results, f"{prefix} torch eager")
        over = {v: common.ratios(steps_per_second(results, f"{prefix} {v}"), eager)
                for v in COMPILE_VARIANTS}
        lines.append(
            f"| {prefix} | {common.format_spread(eager, 3)} "
            f"| {prefix} auto / PyTorch eager: {common.format_spread(over['auto'], unit='x')} "
            f"| {common.format_spread(over['XLA'], unit='x')} "
            f"| {common.format_spread(over['no XLA'], unit='x')} |")
        median = common.spread(over["auto"])[0]
        goals.append(
            f"- {prefix}: tfgenaug's default >= {TORCH_GOAL:g}x PyTorch eager: "
            f"**{'met' if median >= TORCH_GOAL else 'NOT met'}** (auto / PyTorch eager "
            f"{common.format_spread(over['auto'], unit='x')})")
    return lines + [""], goals


def report(results: dict, settings: Settings, quick: bool, command: str,
           seconds: float, load: str = "", machine: str | None = None,
           date: str | None = None) -> str:
    """The Markdown results file.

    Args:
        results: what `measure` returned.
        settings: the run's `Settings`.
        quick: whether this is the quick smoke run.
        command: the command line of the run.
        seconds: the run's wall time.
        load: the `Load:` line (`common.load_line`).
        machine: the `Machine:` line of the run (`common.machine_line()` if None).
        date: when the run ended (`common.utc_now()` if None).

    Returns:
        The report's Markdown text.
    """
    machine_peak = peak(results)
    prefixes = prefixes_of(settings)
    skipped = [name for name, steps in (("DCGAN", settings.dcgan_steps),
                                        ("DADA", settings.dada_steps),
                                        ("DFG", settings.dfg_steps)) if not steps]
    lines = [
        "# Training throughput: reference conditional WGAN-GP, DCGAN, DADA and DFG; XLA, no "
        "XLA and auto; PyTorch eager",
        "",
        machine or common.machine_line(),
        "",
        load or common.load_line(None, None),
        "",
        "Under other load absolute numbers are low and noisy; the ratios compare variants "
        "timed interleaved under the same load.",
        "",
        f"Command: `{command}`" + (" (QUICK smoke run: the numbers are noise)" if quick else ""),
        "",
        f"Date: {date or common.utc_now()}; run took {seconds:.0f} s.",
        "",
        f"Setup: reference conditional WGAN-GP (`tfgenaug.networks.reference`), batch "
        f"{settings.batch}, n_critic {settings.n_critic}, lambda 10, Adam(1e-4, 0.0, 0.9), "
        f"trained with `WGANGP.fit()`; {settings.wgan_steps} generator steps per timing. "
        + ("DCGAN: `DCGAN` on the same reference networks at 32x32x3 (the reference critic "
           "as its discriminator), its default Adam(2e-4, 0.5, 0.9), one discriminator and "
           f"one generator update per step, batch {settings.batch}, {settings.dcgan_steps} "
           "steps per timing. " if settings.dcgan_steps else "")
        + (f"DADA: `DADA((32, 32, 3), 10, width_multiplier={settings.dada_width:g})` in stage "
           f"1 (one discriminator and two generator updates per step), batch {settings.batch}, "
           f"{settings.dada_steps} steps per timing. " if settings.dada_steps else "")
        + ("DFG: `DFG(*lenet5_split((32, 32, 3), 10), 10)` (14x14x6 feature maps), 5 "
           "feature-critic updates, a generator and an extractor+classifier update per step, "
           f"batch {settings.batch}, {settings.dfg_steps} steps per timing. "
           if settings.dfg_steps else "")
        + "Each trainer three times: `jit_compile=True`, `False` and `\"auto\"`. "
        "Input: random images cached in memory, "
        "shuffled, repeated, batched and prefetched, tf.data autotuning off (with it on, a short "
        "`fit` often ended seconds after its last step). Variants interleaved "
        f"in rotating order, {settings.repeats} timed repeats each after one untimed warm-up "
        "call (tracing and XLA compilation excluded). Ratios are taken per repeat; shown as "
        "median (min-max).",
        "",
        "Matmul peak: per repeat, the faster of a chain of "
        f"{settings.matmul_chain} float32 {settings.matmul_size}x{settings.matmul_size} "
        "`tf.matmul`s with and without XLA: "
        f"{common.format_spread([p / 1e9 for p in machine_peak], 1, ' GFLOP/s')}.",
        "",
        *(["Skipped in this run: " + ", ".join(skipped) + ".", ""] if skipped else []),
        *compile_path_lines(results, prefixes),
        "",
    ]
    torch_section, torch_goals = torch_lines(results, settings)
    lines += torch_section
    lines += [
        "## XLA speed-up, FLOPs and the matmul peak",
        "",
        "| Step | XLA speed-up | GFLOP/step | XLA GFLOP/s | XLA share of matmul peak "
        "| no-XLA share of peak |",
        "|---|---|---|---|---|---|",
    ]
    goal_lines = []
    for prefix in prefixes:
        xla, plain = f"{prefix} XLA", f"{prefix} no XLA"
        speedup = common.ratios(per_step(results, plain), per_step(results, xla))
        share_xla = common.ratios(flop_rate(results, xla), machine_peak)
        share_plain = common.ratios(flop_rate(results, plain), machine_peak)
        ratios, tolerance = auto_against_faster(results, prefix)
        lines.append(
            f"| {prefix} | {prefix} speed-up: {common.format_spread(speedup, unit='x')} "
            f"| {results['flops'][xla] / 1e9:.1f} "
            f"| {common.format_spread([f / 1e9 for f in flop_rate(results, xla)], 1)} "
            f"| {common.format_spread([100 * s for s in share_xla], 0, ' %')} "
            f"| {common.format_spread([100 * s for s in share_plain], 0, ' %')} |")
        goal_lines += [
            f"- {prefix}: XLA / no-XLA speed {common.spread(speedup)[0]:.2f}x: issue 22's "
            f"{verdict(common.spread(speedup)[0], XLA_PARITY_GOAL)}; issue 10's "
            f"{verdict(common.spread(speedup)[0], SPEEDUP_GOAL)}",
            f"- {prefix}: XLA step at {100 * common.spread(share_xla)[0]:.0f} % of the matmul "
            f"peak: {verdict(common.spread(share_xla)[0], PEAK_SHARE_GOAL)}",
            f"- {prefix}: auto within the noise of the faster path: "
            f"**{'yes' if within_noise(ratios, tolerance) else 'no'}** (auto / faster "
            f"{common.format_spread(ratios, unit='x')}, tolerance {tolerance:.2f})",
        ]
    pipeline = common.ratios(steps_per_second(results, "pipeline"),
                             steps_per_second(results, f"{prefixes[0]} XLA"))
    pipeline_plain = common.ratios(steps_per_second(results, "pipeline"),
                                   steps_per_second(results, f"{prefixes[0]} no XLA"))
    pipeline_worst = min(common.spread(pipeline)[0], common.spread(pipeline_plain)[0])
    lines += [
        "",
        "## Goals",
        "",
        *goal_lines,
        *torch_goals,
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


def results_path(out: str) -> str:
    """Where a run's raw results are kept next to its report: `<out without .md>.json`."""
    return os.path.splitext(out)[0] + ".json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run (small batch, n_critic 1, C = 1), < 90 s")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the Markdown results file")
    parser.add_argument("--report_only", action="store_true",
                        help="rewrite --out from the raw results a run kept beside it "
                             "(<out>.json), measuring nothing")
    args = parser.parse_args(argv)
    raw_path = results_path(args.out)
    if args.report_only:
        if not os.path.exists(raw_path):
            parser.error(f"--report_only needs the raw results of a run, {raw_path}; "
                         "run without --report_only first")
        with open(raw_path, encoding="utf-8") as f:
            run = json.load(f)
    else:
        settings = QUICK if args.quick else FULL
        start, load_at_start = time.perf_counter(), common.load_average()
        results = measure(settings)
        results = {**results, "paths": {k: p.to_json() for k, p in results["paths"].items()}}
        run = {"results": results, "quick": args.quick,
               "command": common.command_line("benchmarks.throughput", argv),
               "seconds": time.perf_counter() - start,
               "load": common.load_line(load_at_start, common.load_average()),
               "machine": common.machine_line(), "date": common.utc_now()}
        jsonio.write_json(raw_path, run)
    results = {**run["results"], "paths": {
        k: compile_path.CompilePath.from_json(p) for k, p in run["results"]["paths"].items()}}
    text = report(results, QUICK if run["quick"] else FULL, run["quick"],
                  run["command"], run["seconds"], load=run["load"], machine=run["machine"],
                  date=run["date"])
    common.write_markdown(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
