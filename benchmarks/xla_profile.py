"""Why DADA's and DFG's XLA steps are slow on a CPU, and a convolution rewrite that fixes it.

XLA's algebraic simplifier swaps a convolution's operands when the kernel window covers
more pixels than the input map (`kh * kw > h * w`, XLA's `ConvOperandSwapper` rule). The
swapped convolution has a reversed, dilated window that XLA:CPU's Eigen convolution
cannot run, so it is emitted as a naive loop (an `*_elemental_kernel_module` in an XLA
dump). Small feature maps under large kernels hit this:

- DADA's generator: its first 5x5 stride-2 transposed convolution reads a 4x4 map
  (32-px images), 25 > 16; forward pass, three per stage-1 step;
- DFG's feature critic: 5x5 stride-2 convolutions on 7x7 and 4x4 maps; the forward pass
  of the last one and the input gradients of the last two (the 4x4 and 2x2 outputs),
  in every critic update and again inside the gradient penalty's double backward pass.

The fix is tfgenaug's (`tfgenaug.networks.xla_safe_conv`, used by the DADA, DFG and
DAGAN builders): `XlaSafeConv2D` and `XlaSafeConv2DTranspose` (same weights and maths)
keep the native convolution except while being traced for XLA (`jit_compile=True`) with
a window larger than the map, where they compute the convolution as matmuls: im2col
(shifted strided slices, then one matmul) for `Conv2D`, and for `Conv2DTranspose` one
matmul of each input pixel with the whole kernel, then a shifted sum per output phase.
This script measures the networks as tfgenaug builds them (`XLA-safe`) against the same
networks with plain Keras layers (`plain Keras`, `plain_keras`: the state before the fix).

In one process, variants interleaved in rotating order over several rounds, it measures:

1. the train steps of DADA (stage 1, `DADA((32, 32, 3), 10)`) and DFG
   (`DFG(*lenet5_split((32, 32, 3), 10), 10)`), built and fed as in
   `benchmarks.throughput`, with `jit_compile=True` and `False`: with plain Keras layers,
   also without DADA's random layers (input noise, dropout), and as tfgenaug builds them;
2. single convolutions of those shapes, forward and both gradients, XLA vs not, native
   and rewritten;
3. the random numbers DADA's discriminator draws per step, XLA vs not;
4. a harness effect: a short `fit` on a dataset with tf.data autotuning waits at its end
   for the autotuner's next wake-up (see `dataset`), so whole-`fit` timings (as in
   `benchmarks.throughput`) are rounded up; the steps here are timed with it off.

Timing-free evidence: the optimized HLO of each compiled step
(`experimental_get_compiler_ir`): convolutions, operand-swapped ones (their window has
`rhs_reversal`), dots and fusions; random ops and values drawn in the TF graph; and how
often each step function was traced.

Usage:
    python -m benchmarks.xla_profile                       # full run, ~15 min loaded
    python -m benchmarks.xla_profile --quick --out=/tmp/x.md  # smoke run, ~3 min
"""

import argparse
import dataclasses
import os
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import common  # noqa: E402
from benchmarks import throughput  # noqa: E402
from tfgenaug.networks.dada_networks import dada_discriminator  # noqa: E402
from tfgenaug.networks.dada_networks import dada_generator  # noqa: E402
from tfgenaug.networks.dagan_networks import dagan_critic  # noqa: E402
from tfgenaug.networks.dagan_networks import dagan_generator  # noqa: E402
from tfgenaug.networks.dfg_networks import feature_critic  # noqa: E402
from tfgenaug.networks.dfg_networks import feature_generator  # noqa: E402
from tfgenaug.networks.dfg_networks import lenet5_split  # noqa: E402
from tfgenaug.networks.discriminators import conditional_critic  # noqa: E402
from tfgenaug.networks.generators import conditional_generator  # noqa: E402
from tfgenaug.networks.reference import reference_critic  # noqa: E402
from tfgenaug.networks.reference import reference_generator  # noqa: E402
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2D  # noqa: E402
from tfgenaug.networks.xla_safe_conv import XlaSafeConv2DTranspose  # noqa: E402
from tfgenaug.networks.xla_safe_conv import conv2d_as_matmul  # noqa: E402
from tfgenaug.networks.xla_safe_conv import conv2d_transpose_as_matmul  # noqa: E402
from tfgenaug.networks.xla_safe_conv import swap_prone  # noqa: E402
from tfgenaug.trainers.dada import DADA  # noqa: E402
from tfgenaug.trainers.dfg import DFG  # noqa: E402

DEFAULT_OUT = os.path.join("benchmarks", "results", "xla_profile.md")
NUM_CLASSES = 10
IMAGE_SHAPE = (32, 32, 3)
SEED = 0
BASELINE = "plain Keras"  # the networks with keras.layers.Conv2D / Conv2DTranspose
DADA_VARIANTS = (BASELINE, f"{BASELINE}, no random layers", "XLA-safe")
DFG_VARIANTS = (BASELINE, "XLA-safe", "XLA-safe + G matmul")
RANDOM_OPS = ("StatelessRandomNormalV2", "StatelessRandomUniformV2",
              "StatelessRandomUniformFullIntV2", "StatelessRandomUniformIntV2",
              "StatelessTruncatedNormalV2")


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much work one timing does and how often it is repeated."""

    rounds: int
    batch: int
    dada_width: float
    dada_steps: int  # train steps per timing
    dfg_steps: int
    op_calls: int  # calls per timing of a single convolution or the random draws
    teardown_steps: int  # no-XLA DFG steps per `fit` of the teardown A/B


FULL = Settings(rounds=4, batch=64, dada_width=1.0, dada_steps=2, dfg_steps=4, op_calls=2,
                teardown_steps=20)
QUICK = Settings(rounds=3, batch=16, dada_width=0.25, dada_steps=1, dfg_steps=2, op_calls=2,
                 teardown_steps=4)


# ----------------------------------------------------------------- layer variants
@keras.saving.register_keras_serializable(package="benchmarks")
class MatmulConv2DTranspose(XlaSafeConv2DTranspose):
    """`Conv2DTranspose` computed as matmuls whenever traced for XLA, swap-prone or not.

    XLA:CPU runs a transposed convolution as a convolution over the zero-dilated input
    (`lhs_dilate`), four times the useful work at stride 2.
    """

    def rewrite_under_xla(self, input_shape) -> bool:
        return (self.data_format == "channels_last" and set(self.dilation_rate) == {1}
                and self.output_padding is None and None not in tuple(input_shape[1:]))


def relayered(model: keras.Model, replacements: dict) -> keras.Model:
    """A copy of `model` (same weights and layer names) whose convolutions of the classes
    in `replacements` (exact class, wrapped ones too) are of the mapped classes."""

    def convert(layer):
        return replacements.get(type(layer), type(layer)).from_config(layer.get_config())

    def clone(layer):
        if isinstance(layer, keras.layers.Wrapper):
            config = layer.get_config()
            config.pop("layer")
            return type(layer)(convert(layer.layer), **config)
        return convert(layer)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def plain_keras(model: keras.Model) -> keras.Model:
    """`model` with `keras.layers.Conv2D` / `Conv2DTranspose` for tfgenaug's XLA-safe ones:
    the networks as they were before the fix."""
    return relayered(model, {XlaSafeConv2D: keras.layers.Conv2D,
                             XlaSafeConv2DTranspose: keras.layers.Conv2DTranspose})


def matmul_transposed(model: keras.Model) -> keras.Model:
    """`model` with every transposed convolution computed as matmuls under XLA."""
    return relayered(model, {XlaSafeConv2DTranspose: MatmulConv2DTranspose,
                             keras.layers.Conv2DTranspose: MatmulConv2DTranspose})


def describe(layer: keras.layers.Layer) -> str:
    """`"`deconv0` (transposed 5x5 s2, 4x4 -> 8x8)"`, `; plain Keras` if not XLA-safe."""
    inner = layer.layer if isinstance(layer, keras.layers.Wrapper) else layer
    node = layer._inbound_nodes[0]
    (_, h, w, _), (_, oh, ow, _) = node.input_tensors[0].shape, node.output_tensors[0].shape
    kh, kw = inner.kernel_size
    kind = "transposed " if isinstance(inner, keras.layers.Conv2DTranspose) else ""
    plain = "" if isinstance(inner, XlaSafeConv2D | XlaSafeConv2DTranspose) else "; plain Keras"
    return f"`{layer.name}` ({kind}{kh}x{kw} s{inner.strides[0]}, {h}x{w} -> {oh}x{ow}{plain})"


def library_scan() -> dict[str, list[str]]:
    """`swap_prone` layers of tfgenaug's networks at the image / feature sizes they take."""
    builders = {}
    for shape in ((32, 32, 3), (16, 16, 1), (8, 8, 1)):
        builders[f"dada_generator {shape}"] = lambda s=shape: dada_generator(s, NUM_CLASSES)
        builders[f"dada_discriminator {shape}"] = (
            lambda s=shape: dada_discriminator(s, NUM_CLASSES))
        builders[f"dagan_generator {shape}"] = lambda s=shape: dagan_generator(s)
        builders[f"dagan_critic {shape}"] = lambda s=shape: dagan_critic(s)
        builders[f"conditional_generator {shape}"] = (
            lambda s=shape: conditional_generator(s, NUM_CLASSES))
        builders[f"conditional_critic {shape}"] = (
            lambda s=shape: conditional_critic(s, NUM_CLASSES))
        builders[f"lenet5_split {shape}"] = lambda s=shape: lenet5_split(s, NUM_CLASSES)
    builders["reference_generator (32, 32, 3)"] = (
        lambda: reference_generator((32, 32, 3), NUM_CLASSES, 128))
    builders["reference_critic (32, 32, 3)"] = lambda: reference_critic((32, 32, 3), NUM_CLASSES)
    for shape in ((14, 14, 6), (8, 8, 6), (16, 16, 64), (56, 56, 256)):
        builders[f"feature_generator {shape}"] = (
            lambda s=shape: feature_generator(s, NUM_CLASSES))
        builders[f"feature_critic {shape}"] = lambda s=shape: feature_critic(s)
    found = {}
    for name, build in builders.items():
        models = build()
        models = models if isinstance(models, tuple) else (models,)
        found[name] = [describe(layer) for model in models for layer in swap_prone(model)]
    return found


# ----------------------------------------------------------------- trainers
def dataset(batch: int, autotune: bool = False) -> tf.data.Dataset:
    """`benchmarks.throughput`'s cached random batches, tf.data autotuning off by default.

    With autotuning on, `fit` often returns seconds after its last step (after
    `on_train_end`): measured here, a `fit` of 2 DADA steps (5.2 s) took 10.3 s, and
    whole-`fit` timings clustered at 5.1, 10.3, 20.5 and 41 s, i.e. 10 ms * (2^k - 1),
    the wake-ups of a poller sleeping 10 ms, 20 ms, ... (likely tf.data's autotuning
    thread, waited for when the iterator is destroyed). With it off the wait is gone.
    """
    data = throughput.dataset(IMAGE_SHAPE, batch)
    options = tf.data.Options()
    options.autotune.enabled = autotune
    return data.with_options(options)


def counted(fn, counter: list):
    """`fn`, adding one to `counter[0]` per Python call (= per trace inside `fit`)."""

    def step(data):
        counter[0] += 1
        return fn(data)

    return step


class _TrainEnd(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.time = time.perf_counter()


def teardown_fn(trainer: keras.Model, data: tf.data.Dataset, steps: int, waits: list):
    """A callable fitting `steps` steps; appends to `waits` the seconds `fit` took to
    return after `on_train_end`."""

    def run():
        end = _TrainEnd()
        trainer.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[end])
        waits.append(time.perf_counter() - end.time)

    return run


def dada(settings: Settings, variant: str, jit: bool) -> DADA:
    """DADA in stage 1 with `BASELINE` networks (`plain Keras`, or `plain Keras, no random
    layers`) or tfgenaug's as they are (`XLA-safe`)."""
    keras.utils.set_random_seed(SEED)
    kwargs = {}
    if variant.startswith(BASELINE):
        random = variant == BASELINE
        noise, dropout = (0.2, 0.5) if random else (0.0, 0.0)
        kwargs = {
            "gaussian_noise": noise, "dropout": dropout,
            "generator": plain_keras(dada_generator(
                IMAGE_SHAPE, NUM_CLASSES, width_multiplier=settings.dada_width)),
            "discriminator": plain_keras(dada_discriminator(
                IMAGE_SHAPE, NUM_CLASSES, settings.dada_width, noise, dropout)),
        }
    trainer = DADA(IMAGE_SHAPE, NUM_CLASSES, gan_steps=10**9,
                   width_multiplier=settings.dada_width, seed=SEED, **kwargs)
    trainer.compile(jit_compile=jit)
    return trainer


def dfg(variant: str, jit: bool) -> DFG:
    """DFG on LeNet-5 split after conv1 with `plain Keras` networks, tfgenaug's as they are
    (`XLA-safe`), or those with every transposed convolution of G as matmuls under XLA
    (`XLA-safe + G matmul`). E and C (LeNet-5) are plain Keras in all three."""
    keras.utils.set_random_seed(SEED)
    extractor, classifier = lenet5_split(IMAGE_SHAPE, NUM_CLASSES)
    feature_shape = extractor.output_shape[1:]
    kwargs = {}
    if variant == BASELINE:
        kwargs = {"generator": plain_keras(feature_generator(feature_shape, NUM_CLASSES)),
                  "discriminator": plain_keras(feature_critic(feature_shape))}
    elif variant.endswith("G matmul"):
        kwargs["generator"] = matmul_transposed(feature_generator(feature_shape, NUM_CLASSES))
    trainer = DFG(extractor, classifier, NUM_CLASSES, classifier_every=10**9,
                  attention_every=10**9, seed=SEED, **kwargs)
    trainer.compile(jit_compile=jit)
    return trainer


def hlo_counts(trainer: keras.Model, batch: int) -> dict:
    """Op counts of the stage-1 step's optimized XLA HLO and random draws of its TF graph."""
    images = tf.zeros((batch, *IMAGE_SHAPE))
    labels = tf.zeros((batch,), tf.int32)
    step = tf.function(trainer.gan_train_step, jit_compile=True)
    hlo = step.experimental_get_compiler_ir((images, labels))(stage="optimized_hlo")
    convolutions = re.findall(r"= \S+ convolution\(.*", hlo)
    counts = {
        "convolutions": len(convolutions),
        "swapped": sum("rhs_reversal" in line for line in convolutions),
        "dots": len(re.findall(r"= \S+ dot\(", hlo)),
        "fusions": len(re.findall(r" fusion\(", hlo)),
        "custom-calls": len(re.findall(r" custom-call\(", hlo)),
        "rng ops": len(re.findall(r" rng(?:-bit-generator)?\(", hlo)),
    }
    graph = tf.function(trainer.gan_train_step).get_concrete_function(
        (tf.TensorSpec(images.shape), tf.TensorSpec(labels.shape, tf.int32))).graph
    draws = [op for op in graph.get_operations() if op.type in RANDOM_OPS]
    counts["random ops"] = len(draws)
    counts["random values"] = sum(int(np.prod(op.outputs[0].shape)) for op in draws)
    return counts


# ----------------------------------------------------------------- single ops
CONV_CASES = (
    # label, input (h, w, c), filters, kernel, stride, padding, transposed; DADA at width 1
    ("DADA G deconv0", (4, 4, 522), 256, 5, 2, "same", True),
    ("DADA G deconv1", (8, 8, 266), 128, 5, 2, "same", True),
    ("DADA D conv1_1", (16, 16, 192), 192, 3, 1, "same", False),
    ("DFG G up1", (8, 8, 128), 128, 4, 2, "same", True),
    ("DFG D conv1", (7, 7, 32), 64, 5, 2, "same", False),
    ("DFG D conv2", (4, 4, 64), 128, 5, 2, "same", False),
)


def case_name(case) -> str:
    """`"DFG D conv2: 4x4x64 -> 2x2x128, 5x5 s2"`."""
    label, (h, w, c_in), filters, k, stride, _, transposed = case
    oh, ow = (h * stride, w * stride) if transposed else (-(-h // stride), -(-w // stride))
    kind = "transposed " if transposed else ""
    return f"{label}: {h}x{w}x{c_in} -> {oh}x{ow}x{filters}, {kind}{k}x{k} s{stride}"


def conv_fn(case, batch: int, calls: int, jit: bool, rewritten: bool):
    """A callable: `calls` forward + input and kernel gradients of one convolution."""
    _, (h, w, c_in), filters, k, stride, padding, transposed = case
    x = tf.random.stateless_normal((batch, h, w, c_in), [SEED, 1])
    if transposed:
        kernel = tf.random.stateless_normal((k, k, filters, c_in), [SEED, 2]) * 0.05
        size = (h * stride, w * stride)

        def op(x, kernel):
            if rewritten:
                return conv2d_transpose_as_matmul(x, kernel, (stride, stride), padding, size)
            return tf.nn.conv2d_transpose(x, kernel, (batch, *size, filters), stride,
                                          padding.upper())
    else:
        kernel = tf.random.stateless_normal((k, k, c_in, filters), [SEED, 2]) * 0.05

        def op(x, kernel):
            if rewritten:
                return conv2d_as_matmul(x, kernel, (stride, stride), padding)
            return tf.nn.conv2d(x, kernel, stride, padding.upper())

    @tf.function(jit_compile=jit)
    def forward_backward(x, kernel):
        with tf.GradientTape() as tape:
            tape.watch([x, kernel])
            loss = tf.reduce_sum(tf.square(op(x, kernel)))
        dx, dk = tape.gradient(loss, [x, kernel])
        return tf.reduce_sum(dx) + tf.reduce_sum(dk)

    def run():
        for _ in range(calls):
            forward_backward(x, kernel).numpy()

    return run


def random_fn(settings: Settings, jit: bool):
    """A callable drawing DADA's discriminator noise and dropout masks of one stage-1 step.

    Six discriminator passes per step (D update: real, fake; two G updates: real, fake),
    each with N(0, 0.2) input noise and two dropout masks (rate 0.5).
    """
    narrow = max(1, round(96 * settings.dada_width))
    wide = max(1, round(192 * settings.dada_width))
    shapes = ((settings.batch, 32, 32, 3), (settings.batch, 16, 16, narrow),
              (settings.batch, 8, 8, wide))
    inputs = [tf.random.stateless_normal(s, [SEED, i]) for i, s in enumerate(shapes)]

    @tf.function(jit_compile=jit)
    def draw(seed):
        total = tf.constant(0.0)
        for i in range(6):
            noisy = inputs[0] + 0.2 * tf.random.stateless_normal(shapes[0], seed + i)
            a = tf.nn.experimental.stateless_dropout(inputs[1], 0.5, seed=seed + 10 + i)
            b = tf.nn.experimental.stateless_dropout(inputs[2], 0.5, seed=seed + 20 + i)
            total += tf.reduce_sum(noisy) + tf.reduce_sum(a) + tf.reduce_sum(b)
        return total

    seed = tf.constant([SEED, 7], tf.int32)

    def run():
        for _ in range(settings.op_calls):
            draw(seed).numpy()

    return run, 6 * sum(int(np.prod(s)) for s in shapes)


# ----------------------------------------------------------------- measure
def scaled_case(case, width: float):
    """A DADA case at `width` (channels scale, the 10 label channels stay)."""
    label, (h, w, c_in), filters, k, stride, padding, transposed = case
    if not label.startswith("DADA"):
        return case
    labels = 10 if transposed else 0
    c_in = max(1, round((c_in - labels) * width)) + labels
    filters = max(1, round(filters * width))
    return label, (h, w, c_in), filters, k, stride, padding, transposed


def measure(settings: Settings) -> dict:
    """Builds every variant, collects HLO counts, times everything interleaved."""
    variants, steps, traces, hlo = {}, {}, {}, {}
    data = dataset(settings.batch)
    builders = [(f"DADA {v}", lambda v, j: dada(settings, v, j), settings.dada_steps)
                for v in DADA_VARIANTS]
    builders += [(f"DFG {v}", lambda v, j: dfg(v, j), settings.dfg_steps)
                 for v in DFG_VARIANTS]
    for name, build, n_steps in builders:
        variant = name.split(" ", 1)[1]
        for jit in (True, False):
            key = f"{name} | {'XLA' if jit else 'no XLA'}"
            trainer = build(variant, jit)
            if jit:
                print(f"HLO of {name} ...", flush=True)
                hlo[name] = hlo_counts(build(variant, jit), settings.batch)
            traces[key] = [0]
            trainer.gan_train_step = counted(trainer.gan_train_step, traces[key])
            variants[key] = throughput.fit_fn(trainer, data, n_steps)
            steps[key] = n_steps
    teardown = {}
    for autotune in (True, False):  # the wait after the last step, on the no-XLA DFG step
        key = f"DFG no-XLA fit, tf.data autotune {'on' if autotune else 'off'}"
        teardown[key] = []
        variants[key] = teardown_fn(dfg("XLA-safe", False), dataset(settings.batch, autotune),
                                    settings.teardown_steps, teardown[key])
        steps[key] = settings.teardown_steps
    for case in CONV_CASES:
        case = scaled_case(case, settings.dada_width)
        for jit in (True, False):
            for rewritten in (False, True):
                key = f"{case_name(case)} | {'XLA' if jit else 'no XLA'}{' rewritten' * rewritten}"
                variants[key] = conv_fn(case, settings.batch, settings.op_calls, jit, rewritten)
                steps[key] = settings.op_calls
    for jit in (True, False):
        key = f"random draws | {'XLA' if jit else 'no XLA'}"
        variants[key], values = random_fn(settings, jit)
        steps[key] = settings.op_calls
    times = common.interleaved(variants, settings.rounds)
    return {"scan": library_scan(), "times": times, "steps": steps,
            "traces": {k: v[0] for k, v in traces.items()}, "hlo": hlo, "random_values": values,
            "teardown": {k: v[1:] for k, v in teardown.items()}}  # without the warm-up


# ----------------------------------------------------------------- report
def per_call(results: dict, key: str) -> list[float]:
    return [t / results["steps"][key] for t in results["times"][key]]


def per_fit(results: dict, autotune: str, what: str = "times") -> list[float]:
    """Seconds per `fit` call of the teardown A/B (`autotune` "on" or "off"): the whole
    call (`what="times"`) or its wait after `on_train_end` (`what="teardown"`)."""
    return results[what][f"DFG no-XLA fit, tf.data autotune {autotune}"]


def speed(results: dict, slow_key: str, fast_key: str) -> list[float]:
    """Per round, how many times faster `fast_key` runs than `slow_key` (> 1: faster)."""
    return common.ratios(per_call(results, slow_key), per_call(results, fast_key))


def report(results: dict, settings: Settings, quick: bool, command: str, seconds: float,
           load: str) -> str:
    """The Markdown results file."""
    fmt = common.format_spread
    lines = [
        "# XLA vs no XLA on CPU: DADA and DFG steps, operand-swapped convolutions",
        "",
        common.machine_line(),
        "",
        load,
        "",
        f"Command: `{command}`" + (" (QUICK smoke run: the numbers are noise)" if quick else ""),
        "",
        f"Date: {common.utc_now()}; run took {seconds:.0f} s.",
        "",
        f"Setup: batch {settings.batch}; DADA `DADA((32, 32, 3), 10, width_multiplier="
        f"{settings.dada_width:g})` in stage 1, {settings.dada_steps} steps per timing; DFG "
        f"`DFG(*lenet5_split((32, 32, 3), 10), 10)`, {settings.dfg_steps} steps per timing; "
        "trained with `fit()` on cached random images as in `benchmarks.throughput`, but with "
        "tf.data autotuning off (see the Harness section). Every "
        f"variant is timed {settings.rounds} times, interleaved in rotating order after one "
        "untimed warm-up call (tracing and compilation excluded). Ratios are per round, shown "
        "as median (min-max); > 1 means the second-named variant is faster.",
        "",
        f"Variants: `{BASELINE}` is tfgenaug's networks with `keras.layers.Conv2D` / "
        "`Conv2DTranspose` (as they were before issue 22), `XLA-safe` the networks as "
        "tfgenaug builds them, with `tfgenaug.networks.xla_safe_conv`'s `XlaSafeConv2D` / "
        "`XlaSafeConv2DTranspose` (same weights, computed as matmuls while traced for XLA "
        "where the kernel window exceeds the map); `+ G matmul` also computes every "
        "transposed convolution of DFG's G as matmuls under XLA. LeNet-5 (DFG's E and C) is "
        "plain Keras in every variant.",
        "",
        "## Train steps",
        "",
        f"| Step | XLA steps/s | no-XLA steps/s | XLA / no-XLA speed | XLA speed / {BASELINE} "
        f"no-XLA | no-XLA speed / {BASELINE} no-XLA | traces (XLA, no XLA) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in [f"DADA {v}" for v in DADA_VARIANTS] + [f"DFG {v}" for v in DFG_VARIANTS]:
        xla, plain = f"{name} | XLA", f"{name} | no XLA"
        base_plain = f"{name.split()[0]} {BASELINE} | no XLA"
        lines.append(
            f"| {name} | {fmt([1 / t for t in per_call(results, xla)], 3)} "
            f"| {fmt([1 / t for t in per_call(results, plain)], 3)} "
            f"| {fmt(speed(results, plain, xla), unit='x')} "
            f"| {fmt(speed(results, base_plain, xla), unit='x')} "
            f"| {fmt(speed(results, base_plain, plain), unit='x')} "
            f"| {results['traces'][xla]}, {results['traces'][plain]} |")
    lines += [
        "",
        "## Compiled step: optimized XLA HLO and TF graph",
        "",
        "Swapped: convolutions whose window has `rhs_reversal` after XLA's operand swap; "
        "XLA:CPU emits them as naive loops (in an `--xla_dump_to` dump each has its own "
        "`convolution*_elemental_kernel_module`; the others call the Eigen runtime).",
        "",
        "| Step | convolutions | swapped | dots | fusions | custom-calls | rng ops (HLO) "
        "| random ops (TF graph) | random values per step |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in results["hlo"].items():
        lines.append(f"| {name} | {c['convolutions']} | {c['swapped']} | {c['dots']} "
                     f"| {c['fusions']} | {c['custom-calls']} | {c['rng ops']} "
                     f"| {c['random ops']} | {c['random values'] / 1e6:.2f} M |")
    lines += [
        "",
        "## Single convolutions (forward + input and kernel gradients)",
        "",
        f"Batch {settings.batch}; DADA shapes at width {settings.dada_width:g}. Rewritten: "
        "`conv2d_as_matmul` / `conv2d_transpose_as_matmul` of `tfgenaug.networks.xla_safe_conv`.",
        "",
        "| Convolution | no-XLA ms | XLA ms | XLA / no-XLA speed | rewritten XLA ms "
        "| rewritten XLA / native no-XLA speed | rewritten no-XLA / native no-XLA speed |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in CONV_CASES:
        name = case_name(scaled_case(case, settings.dada_width))
        plain, xla = f"{name} | no XLA", f"{name} | XLA"
        xla_rw, plain_rw = f"{name} | XLA rewritten", f"{name} | no XLA rewritten"
        lines.append(
            f"| {name} | {fmt([1e3 * t for t in per_call(results, plain)], 1)} "
            f"| {fmt([1e3 * t for t in per_call(results, xla)], 1)} "
            f"| {fmt(speed(results, plain, xla), unit='x')} "
            f"| {fmt([1e3 * t for t in per_call(results, xla_rw)], 1)} "
            f"| {fmt(speed(results, plain, xla_rw), unit='x')} "
            f"| {fmt(speed(results, plain, plain_rw), unit='x')} |")
    plain, xla = "random draws | no XLA", "random draws | XLA"
    lines += [
        "",
        "## Random numbers",
        "",
        f"DADA's discriminator draws of one stage-1 step ({results['random_values'] / 1e6:.2f} "
        "M values: input noise `stateless_normal` and two `stateless_dropout` masks, six "
        f"passes): no XLA {fmt([1e3 * t for t in per_call(results, plain)], 1)} ms, XLA "
        f"{fmt([1e3 * t for t in per_call(results, xla)], 1)} ms; XLA / no-XLA speed "
        f"{fmt(speed(results, plain, xla), unit='x')}.",
        "",
        "## Harness: `fit` teardown with tf.data autotuning",
        "",
        "The train steps above are timed as whole `fit` calls on a dataset with tf.data "
        "autotuning off (see `dataset`). A no-XLA DFG `fit` of "
        f"{settings.teardown_steps} steps with autotuning on (as `benchmarks.throughput` "
        "runs it) lasts " + fmt(per_fit(results, "on"), 2, " s") + ", of which "
        + fmt(per_fit(results, "on", "teardown"), 2, " s") + " after `on_train_end`; with "
        "it off " + fmt(per_fit(results, "off"), 2, " s") + ", of which "
        + fmt(per_fit(results, "off", "teardown"), 2, " s") + " after `on_train_end`.",
        "",
        "## Convolutions of tfgenaug's networks that XLA:CPU would swap",
        "",
        "Layers whose kernel window covers more pixels than the map XLA convolves over "
        "(`tfgenaug.networks.xla_safe_conv.swap_prone`; without timing). XLA:CPU swaps them "
        "as plain Keras layers; the XLA-safe ones are computed as matmuls instead, those "
        "marked `plain Keras` are not. Networks not listed have none.",
        "",
        *[f"- {name}: {', '.join(layers)}" for name, layers in results["scan"].items()
          if layers],
        "",
        "Raw timings (s per timing, in round order):",
        "",
    ]
    for name, times in results["times"].items():
        lines.append(f"- {name} ({results['steps'][name]} calls): "
                     + ", ".join(f"{t:.3f}" for t in times))
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: batch 16, DADA width 0.25, fewer steps")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the Markdown results file")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    command = common.command_line("benchmarks.xla_profile", argv)
    start, load_at_start = time.perf_counter(), common.load_average()
    results = measure(settings)
    text = report(results, settings, args.quick, command, time.perf_counter() - start,
                  load=common.load_line(load_at_start, common.load_average()))
    common.write_markdown(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
