r"""Samples a generator export: a PNG grid (one row per class) and/or an .npz file.

Example:
    python -m tfgenaug.bin.generate --export_dir=exports/wgan_gp_digits --per_class=8 \
        --out=samples.png,samples.npz --seed=0

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
from tfgenaug import savedmodels

OUTPUT_KINDS = (".png", ".npz")
MIN_CELL_PIXELS = 32

flags.DEFINE_string("export_dir", None,
                    "Export to sample: a version directory, or a base directory (its newest "
                    "version is used).")
flags.DEFINE_integer("per_class", 8, "Images per class (columns of the PNG grid).")
flags.DEFINE_list("out", None,
                  "Output file(s), comma-separated: *.png (grid, one row per class) and/or "
                  "*.npz (images, labels, class_names).")
flags.DEFINE_integer("seed", None,
                     "Seed of the noise: the same seed gives the same images. Unset draws "
                     "fresh noise.")
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
        raise app.UsageError("--out is required: one or more *.png / *.npz files")
    for path in FLAGS.out:
        if posixpath.splitext(path)[1].lower() not in OUTPUT_KINDS:
            raise app.UsageError(
                f"--out must name files ending in {' or '.join(OUTPUT_KINDS)}; got {path!r}"
            )
    if FLAGS.upscale < 0:
        raise app.UsageError(f"--upscale must be >= 0 (0 = automatic); got {FLAGS.upscale}")


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
    images = generator(labels, seed=FLAGS.seed).numpy()
    for path in FLAGS.out:
        if path.lower().endswith(".png"):
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
