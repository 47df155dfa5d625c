"""The docstrings' examples name what exists: checked on the source, nothing is run.

Every ```python example in a `tfgenaug` docstring must parse; every `tfgenaug` name it
imports or calls must exist; a keyword argument it passes to a `tfgenaug` callable must
be one of that callable's parameters (unless it takes `**kwargs`); and a method it calls
on a name bound to a `tfgenaug` class (`trainer = WGANGP(...)`, then
`trainer.fit(...)`) must exist on that class, with the same keyword check. The examples
are snippets (`ds`, `trainer` may come from the text around them), so names from
elsewhere are not checked.
"""

import ast
import importlib
import inspect
import pathlib
import re
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "tfgenaug"
FENCE = re.compile(r"```python\n(.*?)```", re.S)
NOT_FOUND = object()


def examples():
    """`(where, module, code)` of every python example in a tfgenaug docstring."""
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                          | ast.AsyncFunctionDef):
                for code in FENCE.findall(ast.get_docstring(node) or ""):
                    name = getattr(node, "name", "<module>")
                    module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
                    yield (f"{path.relative_to(ROOT.parent)}:{name}",
                           module.removesuffix(".__init__"), textwrap.dedent(code))


def resolve(dotted: str):
    """The object `dotted` names (a module, then attributes), or NOT_FOUND."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name, NOT_FOUND)
            if obj is NOT_FOUND:
                return NOT_FOUND
        return obj
    return NOT_FOUND


def keyword_problems(callee, call: ast.Call, shown: str) -> list[str]:
    try:
        parameters = inspect.signature(callee).parameters
    except (TypeError, ValueError):
        return []
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return []
    return [f"{shown}(..., {keyword.arg}=...): no such parameter"
            for keyword in call.keywords if keyword.arg and keyword.arg not in parameters]


def dotted_name(node: ast.expr) -> tuple[str, list[str]] | None:
    """`(root name, attributes)` of `a.b.c`, or None for anything else."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    return (node.id, attributes[::-1]) if isinstance(node, ast.Name) else None


def own_names(module: str) -> dict[str, str]:
    """What a docstring of `module` may use unimported: the tfgenaug functions, classes
    and modules that `module` defines or imports, by their dotted path."""
    found = {}
    for name, value in vars(importlib.import_module(module)).items():
        home = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", "")
        if (home or "").startswith("tfgenaug") and (
                inspect.ismodule(value) or inspect.isclass(value) or inspect.isfunction(value)):
            found[name] = f"{module}.{name}"
    return found


def example_problems(code: str, module: str = "tfgenaug") -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        return [f"does not parse: {error}"]
    problems = []
    # local name -> dotted path in tfgenaug
    names = {**own_names(module), "tfgenaug": "tfgenaug"}
    instances = {}  # local name -> tfgenaug class it was built from
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tfgenaug":
                    local = alias.asname or alias.name.split(".")[0]
                    names[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tfgenaug"):
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if resolve(dotted) is NOT_FOUND:
                    problems.append(f"from {node.module} import {alias.name}: not found")
                names[alias.asname or alias.name] = dotted
    for node in ast.walk(tree):
        # `name = SomeTfgenaugClass(...)`: later `name.method(...)` calls are checked.
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
                and (parts := dotted_name(node.value.func)) and parts[0] in names):
            cls = resolve(".".join([names[parts[0]], *parts[1]]))
            if inspect.isclass(cls):
                instances[node.targets[0].id] = cls
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (parts := dotted_name(node.func)) is None:
            continue
        root, attributes = parts
        if root in names:
            dotted = ".".join([names[root], *attributes])
            callee = resolve(dotted)
            if callee is NOT_FOUND:
                problems.append(f"{dotted}: not found")
                continue
            problems += keyword_problems(callee, node, dotted)
        elif root in instances and len(attributes) == 1:
            cls = instances[root]
            method = getattr(cls, attributes[0], NOT_FOUND)
            shown = f"{cls.__name__}.{attributes[0]}"
            if method is NOT_FOUND:
                problems.append(f"{shown}: not found")
            else:
                problems += keyword_problems(method, node, shown)
    return problems


def all_problems() -> dict[str, list[str]]:
    found = {}
    for where, module, code in examples():
        problems = example_problems(code, module)
        if problems:
            found.setdefault(where, []).extend(problems)
    return found


def test_there_are_examples_to_check():
    assert len(list(examples())) > 100


def test_every_docstring_example_names_what_exists():
    assert all_problems() == {}


@pytest.mark.parametrize("code, problem", [
    ("import tfgenaug\ntfgenaug.trainers.NoSuchTrainer()", "tfgenaug.trainers.NoSuchTrainer"),
    ("import tfgenaug\ntfgenaug.data.few_shot(train, 5, sead=0)", "sead=...): no such parameter"),
    ("from tfgenaug.trainers import WGANGP\nt = WGANGP((8, 8, 1), 3)\nt.sampel([0])",
     "WGANGP.sampel: not found"),
    ("from tfgenaug.savedmodels import export_everything", "export_everything: not found"),
    ("x = (", "does not parse"),
])
def test_a_wrong_example_is_reported(code, problem):
    problems = example_problems(code)
    assert any(problem in found for found in problems), problems


def test_an_example_may_use_its_own_module_s_names_unimported():
    code = "trainer = WGANGP((8, 8, 1), 3)\ntrainer.sample([0], seeds=0)"
    assert example_problems(code, "tfgenaug.trainers.wgan_gp") == [
        "WGANGP.sample(..., seeds=...): no such parameter"]
    # Elsewhere the name means nothing: not checked (the text may define it).
    assert example_problems(code) == []
