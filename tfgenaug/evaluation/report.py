"""One `evaluate_condition` report as markdown, and its files (JSON, markdown, confusion PNG)."""

import os

import numpy as np
import tensorflow as tf

from tfgenaug import jsonio
from tfgenaug import metrics


def report_markdown(report: dict) -> str:
    """A short markdown summary of one `evaluate_condition` report."""
    config = report["config"]
    case = f"count={config['count']}" if config["count"] else "all images"
    if config["minority_classes"]:
        case += (f", minority classes {list(config['minority_classes'])} at "
                 f"ratio {config['imbalance_ratio']}")
    lines = [
        f"# {config['condition']} on {config['dataset']} ({case}, seed {config['seed']})",
        "",
        f"Classifier: small_cnn width {config['width']}, {config['steps']} steps of batch "
        f"{config['batch_size']}, Adam {config['learning_rate']}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| accuracy | {report['accuracy']:.4f} |",
        f"| balanced accuracy | {report['balanced_accuracy']:.4f} |",
        f"| macro F1 | {report['macro_f1']:.4f} |",
    ]
    if report.get("minority_recall") is not None:
        lines.append(f"| minority recall | {report['minority_recall']:.4f} |")
    lines += ["", "| class | train images | precision | recall | F1 | test support |",
              "|---|---|---|---|---|---|"]
    for k, name in enumerate(report["class_names"]):
        lines.append(
            f"| {name} | {report['training_counts'][k]} | {report['precision'][k]:.3f} | "
            f"{report['recall'][k]:.3f} | {report['f1'][k]:.3f} | {report['support'][k]} |"
        )
    if report.get("generator_quality"):
        lines += generator_quality_markdown(report["generator_quality"], report["class_names"])
    return "\n".join(lines) + "\n"


def generator_quality_markdown(quality: dict, class_names) -> list[str]:
    """The lines of the generator's judged quality: overall, then by class when measured.

    Args:
        quality: what the generator's run measured (its export metadata's `quality`):
            `label_agreement`, `fid_judge_features`, `<metric>_judge_features` and the
            per-class lists `label_agreement_per_class`, `<metric>_per_class_judge_features`
            for the precision/recall/density/coverage metrics.
        class_names: the class names, in class-id order.

    Returns:
        Markdown lines (a leading blank line, a heading, one or two tables).
    """
    overall = [("label agreement", quality.get("label_agreement")),
               ("FID (judge features)", quality.get("fid_judge_features")),
               *((name, quality.get(f"{name}_judge_features")) for name in metrics.PRDC_METRICS)]
    lines = ["", "## Generator (judged by its run, on the judge's features)", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value:.4f} |" for name, value in overall if value is not None]
    columns = [("label agreement", quality.get("label_agreement_per_class")),
               *((name, quality.get(f"{name}_per_class_judge_features"))
                 for name in metrics.PRDC_METRICS)]
    columns = [(name, values) for name, values in columns if values is not None]
    if columns:
        lines += ["", "| class | " + " | ".join(name for name, _ in columns) + " |",
                  "|---|" + "---|" * len(columns)]
        for k, name in enumerate(class_names):
            lines.append(f"| {name} | " + " | ".join(f"{values[k]:.3f}" for _, values in columns)
                         + " |")
    return lines


def write_report(report: dict, output_dir: str) -> dict[str, str]:
    """Writes `report.json`, `report.md` and `confusion.png` to `output_dir`.

    Returns:
        The paths written, by kind ("json", "markdown", "confusion").
    """
    tf.io.gfile.makedirs(output_dir)
    paths = {
        "json": os.path.join(output_dir, "report.json"),
        "markdown": os.path.join(output_dir, "report.md"),
        "confusion": os.path.join(output_dir, "confusion.png"),
    }
    # Each file whole or not at all: a crash mid-write leaves the previous report.
    jsonio.write_json(paths["json"], report)
    markdown = report_markdown(report)
    with tf.io.gfile.GFile(paths["markdown"] + ".tmp", "w") as f:
        f.write(markdown)
    tf.io.gfile.rename(paths["markdown"] + ".tmp", paths["markdown"], overwrite=True)
    metrics.confusion_matrix_png(np.asarray(report["confusion_matrix"]), paths["confusion"],
                                 class_names=report["class_names"])
    return paths
