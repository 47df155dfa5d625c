"""The registry is the one definition of a condition: names, needs, batches, benchmark rows."""

import ast
import os

import numpy as np
import pytest

from benchmarks import efficacy
from benchmarks import efficacy_report
from tfgenaug import evaluation
from tfgenaug.evaluation import EvalConfig
from tfgenaug.evaluation import batches
from tfgenaug.evaluation import catalog
from tfgenaug.evaluation import evaluate_condition
from tfgenaug.evaluation import registry
from tfgenaug.evaluation.classifier import train_on_batches

EVALUATION_DIR = os.path.dirname(evaluation.__file__)


def test_unknown_condition_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"condition must be one of \['plain'.*got 'mixup'"):
        registry.check_condition("mixup")


def test_generator_trainer_and_classic_flags():
    assert registry.generator_trainer("wgan_gp") == "wgan_gp"
    assert registry.generator_trainer("classic+wgan_gp") == "wgan_gp"
    assert registry.generator_trainer("dcgan") == "dcgan"
    assert registry.generator_trainer("smote") is None
    assert registry.generator_trainer("dada") == "dada"
    assert registry.generator_trainer("dada_classifier_aug") == "dada"
    assert registry.generator_trainer("wgan_gp_diffaug") == "wgan_gp_diffaug"
    assert batches.uses_classic("classic+wgan_gp") and batches.uses_classic("classic")
    assert not batches.uses_classic("wgan_gp")


def test_every_condition_name_is_a_registry_record_and_nothing_else_lists_them():
    assert evaluation.CONDITIONS == catalog.CONDITIONS == registry.names()
    assert len(set(evaluation.CONDITIONS)) == len(evaluation.CONDITIONS) == 27
    for name in evaluation.CONDITIONS:
        entry = registry.get(name)
        assert entry.name == name and entry.summary and callable(entry.train)
        if entry.generator_run is not None:
            assert entry.generator_run in evaluation.GENERATOR_RUNS
    # The benchmark's rows and cases come from the records, in the registry's order.
    assert tuple(
        n for n in registry.names() if registry.get(n).benchmark_cases) == efficacy.ALL_CONDITIONS
    assert registry.conditions_in(registry.LOW_DATA) == efficacy.LOW_DATA_CONDITIONS
    assert registry.conditions_in(registry.IMBALANCE) == efficacy.IMBALANCE_CONDITIONS
    for case, names in efficacy.QUICK_CONDITIONS.items():
        assert set(names) <= set(efficacy.conditions_of(case))
    # The report's groups agree with the records (it reads cells only, so lists them);
    # the rows that learn from the unlabelled pool are judged by their own goals.
    supervised = [n for n in efficacy.ALL_CONDITIONS
                  if n not in efficacy_report.SEMI_SUPERVISED]
    generative = tuple(n for n in supervised if registry.get(n).generator_run)
    reading_runs = tuple(n for n in supervised if registry.get(n).reads_run)
    assert set(efficacy_report.SEMI_SUPERVISED) == {
        n for n in efficacy.ALL_CONDITIONS
        if registry.get(n).needs_pool or registry.get(n).generator_run == "dada_semi"} - {
        "self_training"}
    assert generative == efficacy_report.GENERATIVE
    assert reading_runs == efficacy_report.DADA_CLASSIFIERS
    assert set(efficacy_report.AUGMENTED) <= set(efficacy.ALL_CONDITIONS)


def test_the_binary_lists_the_registered_conditions():
    from tfgenaug.bin import evaluate

    help_text = evaluate.FLAGS["condition"].help
    assert help_text.endswith(", ".join(registry.names()) + ".")


def test_a_new_condition_is_one_registered_record():
    def inverted(images, labels, **kwargs):
        return batches.PLAIN(-images, labels, **kwargs)

    registry.register(registry.Condition(
        "test_only_inverted", "The real images, negated.", train=train_on_batches,
        batches=inverted, benchmark_cases=()))
    try:
        images = np.full((4, 8, 8, 1), 0.5, np.float32)
        ds = batches.training_batches(images, np.arange(4) % 2, "test_only_inverted",
                                      batch_size=2, seed=0, num_classes=2)
        np.testing.assert_array_equal(next(iter(ds))[0].numpy(), -0.5)
        config = EvalConfig(condition="test_only_inverted", count=3, image_size=8, steps=2,
                            width=4, batch_size=16)
        report = evaluate_condition(config)
        assert report["config"]["condition"] == "test_only_inverted"
        assert "test_only_inverted" not in registry.conditions_in(registry.LOW_DATA)
    finally:
        registry.unregister("test_only_inverted")
    with pytest.raises(ValueError, match="condition must be one of"):
        EvalConfig(condition="test_only_inverted").validate()


def test_a_name_is_registered_once_and_cases_are_checked():
    with pytest.raises(ValueError, match="'plain' is registered already"):
        registry.register(registry.get("plain"))
    with pytest.raises(ValueError, match="benchmark_cases must be among"):
        registry.register(registry.Condition("x", "x", train=train_on_batches,
                                             benchmark_cases=("n5",)))


def _module_name(path: str) -> str:
    relative = os.path.relpath(path, os.path.dirname(os.path.dirname(EVALUATION_DIR)))
    return relative[: -len(".py")].replace(os.sep, ".").removesuffix(".__init__")


def _evaluation_imports(path: str, modules: set[str]) -> set[str]:
    """The modules of `modules` that the file `path` imports, anywhere in it."""
    with open(path) as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found & modules


def test_no_import_circle_inside_evaluation():
    paths = [os.path.join(root, name) for root, _, files in os.walk(EVALUATION_DIR)
             for name in files if name.endswith(".py")]
    modules = {_module_name(path) for path in paths}
    # Packages' __init__ only re-export; a circle is between the modules doing the work.
    graph = {_module_name(path): _evaluation_imports(path, modules) - {
        "tfgenaug.evaluation", "tfgenaug.evaluation.conditions"}
        for path in paths if not path.endswith("__init__.py")}
    assert graph["tfgenaug.evaluation.registry"] == set(), "the registry is a leaf"
    assert "tfgenaug.evaluation.catalog" not in set().union(*graph.values())

    def visit(module, path):
        assert module not in path, f"import circle: {' -> '.join([*path, module])}"
        for imported in graph.get(module, ()):
            visit(imported, [*path, module])

    for module in graph:
        visit(module, [])
