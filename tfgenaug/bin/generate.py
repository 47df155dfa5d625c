r"""Samples a generator export: a PNG grid (one row per class), an .npz file, or a folder.

Example:
    python -m tfgenaug.bin.generate --export_dir=exports/wgan_gp_digits --per_class=8 \
        --out=samples.png,samples.npz,generated/ --seed=0

A path ending in `/` becomes a folder with one sub-folder of PNG files per class at the
native size (`generated/<class name>/00000.png`, ...; 8-bit, or 16-bit with
`--bit_depth=16` for a generator of 16-bit scans), the layout
`keras.utils.image_dataset_from_directory` and `tfgenaug.data.load("folder:generated")`
read; it must not exist yet (or be empty) and appears whole or not at all.

The .npz holds `images` (float32 (N, H, W, C) in [0, 1]), `labels` (int32, class-major:
`per_class` images of class 0, then of class 1, ...) and `class_names`.
"""

import io
import math
import posixpath

import numpy as np
import tensorflow as tf
from absl import app
from absl import flags

from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import savedmodels

OUTPUT_KINDS = (".png", ".npz", "/")
MIN_CELL_PIXELS = 32

flags.DEFINE_string("export_dir", None,
                    "Export to sample: a version directory, or a base directory (its newest "
                    "version is used).")
flags.DEFINE_integer("per_class", 8, "Images per class (columns of the PNG grid).")
flags.DEFINE_list("out", None,
                  "Outputs, comma-separated: *.png (grid, one row per class), *.npz (images, "
                  "labels, class_names) and/or <dir>/ (one PNG per image, a sub-folder per "
                  "class).")
flags.DEFINE_integer("seed", None,
                     "Seed of the noise: the same seed gives the same images. Unset draws "
                     "fresh noise.")
flags.DEFINE_float("truncation", None,
                   "Truncation of normal noise: every |z| <= this (> 0): fewer, more typical "
                   "variations. Unset draws untruncated noise; uniform-noise exports refuse it.")
flags.DEFINE_enum("bit_depth", "8", ["8", "16"],
                  "Bits per channel of the PNG files of a <dir>/ output: 16 for a generator "
                  "trained on 16-bit scans (the .png grid, a picture to look at, is 8-bit).")
flags.DEFINE_integer("upscale", 0,
                     "Nearest-neighbour magnification of the PNG; 0 picks the smallest "
                     f"making each cell at least {MIN_CELL_PIXELS} pixels.")

FLAGS = flags.FLAGS


def check_flags() -> None:
    """Raises `app.UsageError` naming the first missing or bad flag (no I/O)."""
    if not FLAGS.export_dir:
        raise app.UsageError("--export_dir is required: the export to sample")
    if FLAGS.per_class < 1:
        raise app.UsageError(f"--per_class must be >= 1; got {FLAGS.per_class}")
    if not FLAGS.out:
        raise app.UsageError("--out is required: one or more *.png / *.npz files or <dir>/")
    for path in FLAGS.out:
        if _output_kind(path) not in OUTPUT_KINDS:
            raise app.UsageError(
                f"--out must name files ending in .png or .npz, or a folder ending in /; "
                f"got {path!r}"
            )
    if FLAGS.truncation is not None and not FLAGS.truncation > 0:
        raise app.UsageError(f"--truncation must be a number > 0; got {FLAGS.truncation}")
    if FLAGS.upscale < 0:
        raise app.UsageError(f"--upscale must be >= 0 (0 = automatic); got {FLAGS.upscale}")
    kinds = {_output_kind(path) for path in FLAGS.out}
    for name, kind, what in (("upscale", ".png", "a .png grid"),
                             ("bit_depth", "/", "a <dir>/ folder")):
        if FLAGS[name].present and kind not in kinds:
            raise app.UsageError(f"--{name} applies to {what} in --out, which has none; "
                                 f"got --out={','.join(FLAGS.out)}")


def _is_folder(path: str) -> bool:
    return path.endswith("/")


def _output_kind(path: str) -> str:
    """What `--out`'s `path` asks for: `"/"` (a folder) or its lower-case extension."""
    return "/" if _is_folder(path) else posixpath.splitext(path)[1].lower()


def write_npz(path: str, **arrays) -> str:
    """Writes `arrays` to an .npz file at any `tf.io.gfile` path, atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    parent = posixpath.dirname(path)
    if parent:
        tf.io.gfile.makedirs(parent)
    with tf.io.gfile.GFile(path + ".tmp", "wb") as f:
        f.write(buffer.getvalue())
    tf.io.gfile.rename(path + ".tmp", path, overwrite=True)
    return path


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    check_flags()
    try:
        generator = savedmodels.load(FLAGS.export_dir)
    except (FileNotFoundError, ValueError) as error:
        raise app.UsageError(f"--export_dir={FLAGS.export_dir}: {error}") from error
    labels = np.repeat(np.arange(generator.num_classes, dtype=np.int32), FLAGS.per_class)
    try:
        images = generator(labels, seed=FLAGS.seed, truncation=FLAGS.truncation).numpy()
    except ValueError as error:  # e.g. truncation with a uniform-noise export
        raise app.UsageError(f"--truncation={FLAGS.truncation}: {error}") from error
    for path in FLAGS.out:
        if _is_folder(path):
            try:
                data.to_directory(path, images, labels, generator.class_names, (0, 1),
                                  bit_depth=int(FLAGS.bit_depth))
            except ValueError as error:
                raise app.UsageError(f"--out={path}: {error}") from error
        elif path.lower().endswith(".png"):
            grid = callbacks.image_grid(images, rows=generator.num_classes,
                                        cols=FLAGS.per_class, value_range=(0, 1))
            height, width = generator.image_shape[:2]
            upscale = FLAGS.upscale or max(1, math.ceil(MIN_CELL_PIXELS / min(height, width)))
            callbacks.save_png(path, grid, upscale=upscale)
        else:
            write_npz(path, images=images, labels=labels,
                      class_names=np.asarray(generator.class_names))
        print(path, flush=True)


def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
