"""The README's code works: its Python examples run, its commands name real flags.

Each ```python block of README.md runs as written, in a fresh working directory that
holds what the text around it says exists (an image folder, exports made by the commands
beside it: here small untrained exports of the same shape), with its training budget cut
by the replacements in `EXAMPLES`, each of which must match; what it computes (a shape,
the logs, the steps) is then compared with the entry's `expected`. A new block without an entry
in `EXAMPLES` fails `test_every_python_block_has_an_example_entry`.

Every `python -m tfgenaug.bin.* / benchmarks.*` command in the README (fenced or inline)
may only use flags that its module defines (absl's `--helpfull` and argparse's `--help`
list them), and a flag the prose names away from a command must exist in one of them.
Every paragraph closes the code spans it opens (an unpaired backtick turned half of the
train binary's flag list into prose once).
"""

import dataclasses
import os
import pathlib
import re
import sys
from collections.abc import Callable

import pytest

from tests import launch
from tests.data.test_folders import make_folder
from tests.trainers.conftest import TINY

REPO = pathlib.Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
FENCED = re.compile(r"```(\w*)\n(.*?)```", re.S)


def python_blocks() -> list[str]:
    return [code for language, code in FENCED.findall(README) if language == "python"]


def _export(trainer, path: pathlib.Path) -> None:
    from tfgenaug import savedmodels

    savedmodels.export(trainer, str(path))


def _digits_wgan_gp_export(name: str) -> Callable[[pathlib.Path], None]:
    def make(cwd: pathlib.Path) -> None:
        from tfgenaug.trainers import WGANGP

        _export(WGANGP((16, 16, 1), 10, **TINY), cwd / "exports" / name)
    return make


def _parts_folder_and_export(cwd: pathlib.Path) -> None:
    from tfgenaug.trainers import WGANGP

    make_folder(cwd / "parts", (28, 28, 1), per_class=6, classes=("bolt", "nut", "washer"))
    _export(WGANGP((28, 28, 1), 3, **TINY), cwd / "exports" / "parts")


def _dagan_digits_export(cwd: pathlib.Path) -> None:
    import tfgenaug
    from tfgenaug.trainers import DAGAN

    train, _, _ = tfgenaug.data.load("digits")
    images, labels = tfgenaug.data.as_numpy(train)
    trainer = DAGAN((16, 16, 1), 10, **TINY)
    trainer.set_sources(images[:200], labels[:200])
    _export(trainer, cwd / "exports" / "dagan_digits")


@dataclasses.dataclass(frozen=True)
class Example:
    """How to run one README block: `marker` is a line fragment only it contains."""

    marker: str
    outcome: Callable[[dict], object]  # of the block's namespace, compared to `expected`
    expected: object
    budget: dict = dataclasses.field(default_factory=dict)
    setup: Callable[[pathlib.Path], None] | None = None


def _shape(name: str) -> Callable[[dict], tuple]:
    return lambda namespace: tuple(namespace[name].shape)


EXAMPLES = (
    Example("trainer = tfgenaug.trainers.WGANGP(", _shape("images"), (4, 16, 16, 1),
            budget={"steps_per_epoch=250, epochs=12": "steps_per_epoch=2, epochs=1"}),
    Example('GANAugment("exports/parts"',
            lambda namespace: tuple(namespace["ds"].element_spec[0].shape), (None, 28, 28, 1),
            setup=_parts_folder_and_export),
    Example('tf.saved_model.load("exports/digits/1")', _shape("images"), (3, 16, 16, 1),
            setup=_digits_wgan_gp_export("digits")),
    Example('"exports/long_tail"',
            lambda namespace: sorted(namespace["classifier"].history.history),
            ["accuracy", "loss", "val_accuracy", "val_loss"], budget={"epochs=20": "epochs=1"},
            setup=_digits_wgan_gp_export("long_tail")),
    Example("tfgenaug.trainers.SemiSupervisedGAN(",
            lambda namespace: namespace["trainer"].train_steps, 2,
            budget={"steps_per_epoch=250, epochs=12": "steps_per_epoch=2, epochs=1"}),
    Example('savedmodels.load("exports/dagan_digits")', _shape("variants"), (5, 16, 16, 1),
            setup=_dagan_digits_export),
)


def example_for(block: str) -> Example:
    matches = [example for example in EXAMPLES if example.marker in block]
    assert len(matches) == 1, (
        f"README python block starting {block[:80]!r} matches {len(matches)} entries of "
        "EXAMPLES in tests/test_readme.py; give it exactly one")
    return matches[0]


def test_every_python_block_has_an_example_entry():
    blocks = python_blocks()
    assert len(blocks) == len(EXAMPLES)
    assert sorted(EXAMPLES.index(example_for(block)) for block in blocks) == list(
        range(len(EXAMPLES)))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.marker[:40])
def test_python_block_runs_and_gives_its_result(example, tmp_path, monkeypatch):
    (block,) = [block for block in python_blocks() if example.marker in block]
    for written, cut in example.budget.items():
        assert block.count(written) == 1, f"the budget {written!r} is not in the block"
        block = block.replace(written, cut)
    monkeypatch.chdir(tmp_path)
    if example.setup is not None:
        example.setup(tmp_path)
    import tfgenaug

    # The README's prose imports tfgenaug once at its top; its later blocks rely on it.
    namespace = {"__name__": "readme_example", "tfgenaug": tfgenaug}
    exec(compile(block, f"README.md block {example.marker!r}", "exec"), namespace)
    assert example.outcome(namespace) == example.expected


# --------------------------------------------------------------------------- commands
def test_every_paragraph_closes_its_code_spans():
    unpaired = [paragraph[:120] for paragraph in FENCED.sub("", README).split("\n\n")
                if paragraph.count("`") % 2]
    assert unpaired == []


def command_lines() -> list[str]:
    """Each line of the fenced blocks (continuations joined) and each inline code span."""
    lines = []
    for _, code in FENCED.findall(README):
        lines += re.sub(r"\\\n\s*", " ", code).splitlines()
    spans = re.findall(r"`([^`]+)`", FENCED.sub("", README))
    return lines + [" ".join(span.split()) for span in spans]


def readme_commands() -> list[tuple[str, list[str]]]:
    """`(module, flag names)` of each `python -m tfgenaug.* / benchmarks.*` command."""
    commands = []
    for line in command_lines():
        for module, arguments in re.findall(
                r"python -m ((?:tfgenaug|benchmarks)\.[\w.]+)([^#;&|]*)", line):
            commands.append((module, re.findall(r"(?:^|\s)--(\w+)", arguments)))
    # The train binary's paragraph lists its flags without the command before each.
    (paragraph,) = [text for text in README.split("\n\n")
                    if text.startswith("**The train binary**")]
    commands.append(("tfgenaug.bin.train", re.findall(r"(?<![\w-])--(\w+)", paragraph)))
    return commands


def defined_flags(module: str) -> set[str]:
    """The flags `python -m module` accepts, from its own help."""
    absl = module.startswith("tfgenaug.bin.")
    result = launch.run([sys.executable, "-m", module, "--helpfull" if absl else "--help"],
                        cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)},
                        timeout=300)
    if absl:
        names = set()
        for negatable, name in re.findall(r"^\s+--(\[no\])?(\w+):", result.stdout, re.M):
            names |= {name, f"no{name}"} if negatable else {name}
    else:
        assert result.returncode == 0, result.stderr[-3000:]
        names = set(re.findall(r"--(\w+)", result.stdout))
    assert names, f"{module}: no flags in its help:\n{result.stdout[-2000:]}"
    return names


# Flags of the other tools the README runs: saved_model_cli, tensorflow_model_server, pip.
OTHER_TOOLS_FLAGS = {"all", "dir", "model_base_path", "model_name", "rest_api_port", "no"}


def test_the_readme_has_commands_to_check():
    modules = {module for module, _ in readme_commands()}
    assert {"tfgenaug.bin.train", "tfgenaug.bin.export", "benchmarks.efficacy"} <= modules


def test_every_flag_the_readme_names_is_defined_where_it_is_used():
    used = {}
    for module, flags in readme_commands():
        used.setdefault(module, set()).update(flags)
    defined = {module: defined_flags(module) for module, flags in sorted(used.items())
               if flags or module.startswith("tfgenaug.bin.")}
    unknown = {module: sorted(used[module] - flags) for module, flags in defined.items()
               if used[module] - flags}
    assert unknown == {}, "flags a README command passes to a module that lacks them"
    # Flags named in the prose, away from a command, must exist somewhere.
    anywhere = set().union(*defined.values(), OTHER_TOOLS_FLAGS)
    named = set()
    for line in command_lines():
        named |= set(re.findall(r"(?<![\w-])--(\w+)", line))
    assert sorted(named - anywhere) == []
