"""Train a generator on a data case, with checkpoints, resume, sample grids and a report.

This is what `python -m tfgenaug.bin.train` runs; notebooks can call `train_generator`
directly.
"""

import dataclasses
import os

import keras
import tensorflow as tf

from tfgenaug import callbacks
from tfgenaug import data
from tfgenaug import jsonio
from tfgenaug import metrics
from tfgenaug import strategies
from tfgenaug.runs import fit_loop
from tfgenaug.runs import label_agreement
from tfgenaug.runs import model_dir
from tfgenaug.runs import unlabelled
from tfgenaug.runs.generator_config import TrainConfig
from tfgenaug.runs.generator_recipes import build_trainer
from tfgenaug.runs.generator_recipes import recipe_for
from tfgenaug.runs.generator_recipes import takes_n_critic

NON_FINITE_ADVICE = "lower --learning_rate or change the seed"


def _keep_recorded_n_critic(config: TrainConfig) -> TrainConfig:
    """A resumed run keeps the critic steps it began with unless `n_critic` is set.

    The default changed (5, then 3 for wgan_gp): a run begun under the old default must
    not silently go on under the new one.
    """
    if config.n_critic is not None or not takes_n_critic(config.trainer):
        return config
    recorded = (model_dir.recorded_trainer_config(config.model_dir) or {}).get("n_critic")
    if recorded is None:
        return config
    print(f"Resuming with {recorded} critic steps per generator step, as the run began "
          "(set n_critic to change it)", flush=True)
    return dataclasses.replace(config, n_critic=recorded)


def train_generator(config: TrainConfig, verbose="auto") -> dict:
    """Trains (or resumes training of) a conditional generator and reports on it.

    Writes to `config.model_dir`: `checkpoints/`, `logs/` (TensorBoard scalars and
    sample images), `samples.png` (one row per class), `config.json` and
    `metrics.json` (label agreement, overall and per class); with
    `config.export_dir`, a SavedModel version there. A finished run run again (no step
    left) whose report and export are already those this call would write returns
    its report without judging or exporting again.

    Args:
        config: a `TrainConfig`.
        verbose: Keras `fit` verbosity. Defaults to `"auto"`.

    Returns:
        The metrics dict written to `metrics.json`.

    Raises:
        ValueError: a bad field of `config`, naming it; or data that cannot serve
            (e.g. `count` larger than the smallest class).
        callbacks.NonFiniteLossError: a loss became NaN or infinite; the message
            names the loss and the step, and the newest checkpoint (the last one
            with finite weights).

    Example:
    ```python
    result = train_generator(TrainConfig(steps=500, model_dir="/tmp/wgan"))
    print(result["label_agreement"])
    ```
    """
    config.validate()
    config = _keep_recorded_n_critic(config)
    strategy = fit_loop.begin_run(config.seed, config.strategy, config.deterministic)
    recipe = recipe_for(config.trainer)
    selection = data.select(config.data_case(), with_pool=config.unlabelled == data.REST_OF_TRAIN)
    stream, images = None, selection.train_arrays[0]
    if recipe.batches is not None:
        stream = recipe.batches(config, selection)
    elif recipe.mixed_batches(config):
        images = unlabelled.unlabelled_images(config.unlabelled, selection, config.data_dir)
        print(f"{len(images)} unlabelled images (the {len(selection.train_arrays[0])} "
              f"labelled ones among them)", flush=True)

        def stream(start_step):
            return unlabelled.semi_supervised_stream(selection, images, config.batch_size,
                                                     config.seed, start_step)
    gan_steps, total_steps = recipe.schedule(config, sum(selection.training_counts))
    with strategy.scope():
        trainer = build_trainer(config, selection.info, gan_steps=gan_steps)
        if recipe.prepare is not None:
            recipe.prepare(trainer, images, selection)
    chief = strategies.is_chief(strategy)
    out_dir = strategies.write_dir(config.model_dir, strategy)
    log_dir = os.path.join(out_dir, "logs")
    plan = fit_loop.FitPlan(
        train=selection.train, batch_size=config.batch_size, seed=config.seed,
        steps=total_steps, checkpoint_every=config.checkpoint_every, out_dir=out_dir,
        restore_dir=config.model_dir, config_key="train_config", config=config,
        run_config={"dataset": selection.info, "training_counts": selection.training_counts},
        callbacks_after=[
            callbacks.SampleGrid(out_dir, log_dir=log_dir, keep_all=False),
            callbacks.LearningRates(),  # before TensorBoard, which logs what it adds
            keras.callbacks.TensorBoard(log_dir=log_dir),
        ],
        non_finite_advice=NON_FINITE_ADVICE, log_resume=True, stream=stream,
    )
    metrics_path = os.path.join(config.model_dir, model_dir.METRICS_FILE)
    before = model_dir.previous_report(config.model_dir)
    report = {"step": fit_loop.fit_run(trainer, plan, verbose=verbose),
              "judge_epochs": config.judge_epochs}
    if not chief:  # the chief evaluates, exports and keeps the files
        strategies.remove_scratch(config.model_dir, strategy)
        return report
    if _up_to_date(before, report, config):
        print(f"The run reached step {report['step']} before and was judged and exported "
              f"then: {metrics_path}" + (f", {before['export_path']}" if config.export_dir
                                          else ""), flush=True)
        return before
    if recipe.report is not None:
        report.update(recipe.report(trainer, selection))
    if config.judge_epochs and not recipe.class_faithful:
        print(f"No label agreement: {config.trainer}'s samples do not follow their labels",
              flush=True)
    elif config.judge_epochs:
        report.update(label_agreement.measure_label_agreement(
            trainer, selection.train_split, selection.test, selection.info, config))
        print(f"Label agreement: {report['label_agreement']:.4f} "
              f"(judge test accuracy {report['judge_test_accuracy']:.4f})", flush=True)
        quality = {name: report[f"{name}_judge_features"] for name in metrics.PRDC_METRICS
                   if f"{name}_judge_features" in report}
        if quality:
            print("On the judge's features: " + ", ".join(
                f"{name} {value:.3f}" for name, value in quality.items()), flush=True)
        with tf.summary.create_file_writer(log_dir).as_default():
            tf.summary.scalar("label_agreement", report["label_agreement"], step=report["step"])
            for name, value in quality.items():
                tf.summary.scalar(f"judge_features/{name}", value, step=report["step"])
    jsonio.write_json(metrics_path, report)  # the export's metadata carries its quality
    if config.export_dir:
        report["export_path"] = model_dir.export_from_model_dir(
            config.model_dir, config.export_dir
        )
        product = "generator" if recipe.class_faithful else "classifier"
        print(f"Exported the {product} to {report['export_path']}", flush=True)
    jsonio.write_json(metrics_path, report)
    return report


def _up_to_date(before: dict | None, report: dict, config: TrainConfig) -> bool:
    """Whether the report written `before` is what this call would write: the same step
    (nothing trained since), judged for as many epochs, and exported into
    `config.export_dir` if it is set (an export still there)."""
    if before is None or any(before.get(key) != report[key] for key in report):
        return False
    if not config.export_dir:
        return True
    return model_dir.exported_into(before.get("export_path"), config.export_dir)
