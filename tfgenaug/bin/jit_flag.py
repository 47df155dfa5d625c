"""`--jit_compile`: `auto` (the default), `true` or `false`, and `--nojit_compile` still works.

absl's boolean flags take only true/false; this flag keeps their forms (`--jit_compile`,
`--nojit_compile`, `--jit_compile=false`) and adds `--jit_compile=auto`.
"""

from absl import flags

from tfgenaug.trainers import compile_path

_TRUE = ("true", "t", "1", "yes")
_FALSE = ("false", "f", "0", "no")


class JitCompileParser(flags.ArgumentParser):
    """Parses `auto`, `true` or `false` (any case; `1`/`0` too) into `"auto"`/`True`/`False`."""

    def parse(self, argument):
        if isinstance(argument, bool) or argument == compile_path.AUTO:
            return argument
        text = str(argument).strip().lower()
        if text == compile_path.AUTO:
            return compile_path.AUTO
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected auto, true or false; got {argument!r}")

    def flag_type(self) -> str:
        return "auto|bool"


def define_jit_compile(default, help_text: str,
                       flag_values: flags.FlagValues = flags.FLAGS) -> flags.FlagHolder:
    """Defines `--jit_compile` on `flag_values`, accepting `--[no]jit_compile` and `=auto`.

    Args:
        default: `"auto"`, `True` or `False`.
        help_text: the flag's help.
        flag_values: where to define it. Defaults to `absl.flags.FLAGS`.

    Returns:
        The flag's `FlagHolder`.
    """
    flag = flags.Flag(JitCompileParser(), flags.ArgumentSerializer(), "jit_compile", default,
                      help_text, boolean=True)  # boolean: `--[no]jit_compile` parse as before
    return flags.DEFINE_flag(flag, flag_values)
