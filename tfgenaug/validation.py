"""Argument checks shared by the whole library: one message for each kind of mistake.

Every check names the argument and the expected form, and returns the value in its
canonical Python type, so a constructor can write `self.seed = check_seed(seed)`.
`bool` is rejected where an int is expected (`True` is an int to Python, never a
meaningful seed or count). This module imports nothing from tfgenaug.
"""

import numbers

import numpy as np


def _is_int(value) -> bool:
    return not isinstance(value, bool | np.bool_) and isinstance(value, numbers.Integral)


def _is_real(value) -> bool:
    # `value != value` is NaN's test for every Real (fractions, big ints) without converting.
    real = not isinstance(value, bool | np.bool_) and isinstance(value, numbers.Real)
    return real and value == value


def check_int(value, name: str, minimum: int | None = None) -> int:
    """Returns `value` as an int, or raises a ValueError naming `name`.

    Args:
        value: the argument.
        name: str. The argument's name, used in the message.
        minimum: optional smallest allowed value.

    Returns:
        `int(value)`.

    Raises:
        ValueError: `value` is not an integer (bools are not), or is below `minimum`.

    Example:
    ```python
    steps = check_int(steps, "steps", minimum=0)
    ```
    """
    if not _is_int(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{name} must be an integer{bound}; got {value!r}")
    return int(value)


def check_positive_int(value, name: str) -> int:
    """Returns `value` if it is an int >= 1, else raises a ValueError naming `name`."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def check_seed(seed, name: str = "seed") -> int:
    """Returns `seed` as an int, else raises `ValueError("seed must be an int; ...")`."""
    if not _is_int(seed):
        raise ValueError(f"{name} must be an int; got {seed!r}")
    return int(seed)


def check_number(value, name: str, minimum: float | None = None,
                 maximum: float | None = None) -> float:
    """Returns `value` as a float in `[minimum, maximum]`, else raises a ValueError.

    Args:
        value: the argument: a real number, not a bool, not NaN.
        name: str. The argument's name, used in the message.
        minimum: optional smallest allowed value (inclusive).
        maximum: optional largest allowed value (inclusive).

    Returns:
        `float(value)`.

    Raises:
        ValueError: naming `name` and the allowed range.
    """
    ok = _is_real(value)
    ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        if minimum is not None and maximum is not None:
            bound = f" in [{minimum}, {maximum}]"
        elif minimum is not None:
            bound = f" >= {minimum}"
        elif maximum is not None:
            bound = f" <= {maximum}"
        else:
            bound = ""
        raise ValueError(f"{name} must be a number{bound}; got {value!r}")
    return float(value)


def check_interval(value, name: str, low: float, high: float, *, include_low: bool = True,
                   include_high: bool = True) -> float:
    """Returns `value` as a float in the interval from `low` to `high`, else a ValueError.

    Either end may be open, for ranges such as a ratio in (0, 1] or a fraction in (0, 1).

    Args:
        value: the argument: a real number, not a bool, not NaN.
        name: str. The argument's name, used in the message.
        low: the interval's lower end.
        high: the interval's upper end.
        include_low: bool. Whether `low` itself is allowed.
        include_high: bool. Whether `high` itself is allowed.

    Returns:
        `float(value)`.

    Raises:
        ValueError: naming `name` and the interval in bracket notation.

    Example:
    ```python
    ratio = check_interval(ratio, "ratio", 0, 1, include_low=False)  # (0, 1]
    ```
    """
    ok = _is_real(value)
    ok = ok and (low <= value if include_low else low < value)
    ok = ok and (value <= high if include_high else value < high)
    if not ok:
        left, right = "[" if include_low else "(", "]" if include_high else ")"
        raise ValueError(f"{name} must be a number in {left}{low}, {high}{right}; got {value!r}")
    return float(value)


def check_choice(value, name: str, choices) -> str:
    """Returns `value` if it is one of `choices`, else raises a ValueError listing them."""
    if value not in tuple(choices):
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {value!r}")
    return value
