"""`--jit_compile`: auto by default, the boolean forms kept, bad values named."""

import pytest
from absl import flags

from tfgenaug.bin import jit_flag


def parsed(*args):
    values = flags.FlagValues()
    jit_flag.define_jit_compile("auto", "help", flag_values=values)
    values(["prog", *args])
    return values.jit_compile


@pytest.mark.parametrize("args,expected", [
    ((), "auto"),
    (("--jit_compile=auto",), "auto"),
    (("--jit_compile=AUTO",), "auto"),
    (("--jit_compile",), True),
    (("--jit_compile=true",), True),
    (("--jit_compile=1",), True),
    (("--nojit_compile",), False),
    (("--jit_compile=False",), False),
])
def test_forms(args, expected):
    assert parsed(*args) == expected


def test_bad_value_names_the_flag_and_the_forms():
    with pytest.raises(flags.IllegalFlagValueError,
                       match=r"--jit_compile=maybe: expected auto, true or false"):
        parsed("--jit_compile=maybe")
