"""The package's layout rules, checked on the source: layers, no circles, small files.

Each subpackage (or leaf module) of `tfgenaug` has a layer; a module may import only
from strictly lower layers (or its own unit), at module level or inside a function
alike, so no import circle can form and nothing reaches up. No library module imports
the package root (`import tfgenaug`, `from tfgenaug import __version__`).
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "tfgenaug"
MAX_LINES = 450

# Low to high. DESIGN.md draws the same picture.
LAYERS = {
    "version": 0, "validation": 0, "jsonio": 0, "strategies": 0,
    "data": 1,
    "networks": 2, "styletransfer": 2, "explain": 2,
    "trainers": 3, "metrics": 3,
    "savedmodels": 4,
    "layers": 5, "selftrain": 5, "callbacks": 5,
    "runs": 6,
    "evaluation": 7, "experiment": 7, "dfg_experiment": 7,
    "bin": 8,
}


def library_modules():
    for path in sorted(ROOT.rglob("*.py")):
        yield path, path.relative_to(ROOT.parent).with_suffix("").parts


def unit_of(parts) -> str:
    return parts[1] if len(parts) > 1 else "<root>"


def imported_tfgenaug_modules(tree: ast.AST):
    """`(line, dotted name)` of every tfgenaug import, wherever it is in the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "tfgenaug":
                for alias in node.names:
                    yield node.lineno, f"tfgenaug.{alias.name}"
            else:
                yield node.lineno, node.module


def test_every_unit_has_a_layer():
    units = {unit_of(parts) for _, parts in library_modules()} - {"<root>"}
    units = {u.removesuffix("__init__") or "<root>" for u in units} - {"<root>"}
    assert sorted(units - set(LAYERS)) == []


def test_imports_go_down_only_and_never_to_the_package_root():
    wrong = []
    for path, parts in library_modules():
        if parts == ("tfgenaug", "__init__"):
            continue
        unit = unit_of(parts)
        tree = ast.parse(path.read_text())
        for line, name in imported_tfgenaug_modules(tree):
            pieces = name.split(".")
            if pieces[0] != "tfgenaug":
                continue
            if len(pieces) == 1 or pieces[1] == "__version__":
                wrong.append(f"{path.name}:{line} imports the package root ({name})")
                continue
            target = pieces[1]
            if target != unit and LAYERS[target] >= LAYERS[unit]:
                wrong.append(f"{'/'.join(parts)}.py:{line}: {unit} (layer {LAYERS[unit]}) "
                             f"imports {name} (layer {LAYERS[target]})")
    assert wrong == []


@pytest.mark.parametrize("path", [p for p, _ in library_modules()], ids=lambda p: p.name)
def test_no_library_file_over_the_line_limit(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES, path
