"""Tests of tfgenaug.validation: each check accepts its values, rejects bools and values
out of range, and names the argument in its message."""

import fractions

import numpy as np
import pytest

from tfgenaug import validation


@pytest.mark.parametrize("value", [0, 7, -3, np.int64(5), np.int32(0)])
def test_check_int_accepts_python_and_numpy_integers(value):
    result = validation.check_int(value, "steps")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 1.0, "3", None])
def test_check_int_rejects_non_integers_and_bools(value):
    with pytest.raises(ValueError, match=r"^steps must be an integer; got "):
        validation.check_int(value, "steps")


def test_check_int_minimum_is_inclusive_and_named():
    assert validation.check_int(2, "subset_size", minimum=2) == 2
    with pytest.raises(ValueError, match=r"^subset_size must be an integer >= 2; got 1$"):
        validation.check_int(1, "subset_size", minimum=2)


@pytest.mark.parametrize("value", [1, 64, np.int64(3)])
def test_check_positive_int_accepts(value):
    result = validation.check_positive_int(value, "batch_size")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize("value", [0, -1, True, np.bool_(True), 2.0, "2"])
def test_check_positive_int_rejects_with_the_name(value):
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer; got "):
        validation.check_positive_int(value, "batch_size")


@pytest.mark.parametrize("value", [0, -5, 2**40, np.int64(7)])
def test_check_seed_accepts_any_integer(value):
    result = validation.check_seed(value)
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize("value", [True, False, 1.5, None, "0"])
def test_check_seed_rejects_with_the_name(value):
    with pytest.raises(ValueError, match=r"^seed must be an int; got "):
        validation.check_seed(value)
    with pytest.raises(ValueError, match=r"^noise_seed must be an int; got "):
        validation.check_seed(value, "noise_seed")


@pytest.mark.parametrize("value", [0, 1, 0.5, np.float32(0.25), fractions.Fraction(1, 3)])
def test_check_number_accepts_closed_interval(value):
    result = validation.check_number(value, "rate", minimum=0, maximum=1)
    assert result == float(value) and type(result) is float


def test_check_number_accepts_big_ints_and_unbounded_values():
    assert validation.check_number(10**30, "weight", minimum=0) == 1e30
    assert validation.check_number(-1e9, "shift") == -1e9


@pytest.mark.parametrize("value", [True, np.bool_(False), float("nan"), np.float32("nan"),
                                   "0.5", None])
def test_check_number_rejects_bools_nan_and_non_numbers(value):
    with pytest.raises(ValueError, match=r"^rate must be a number in \[0, 1\]; got "):
        validation.check_number(value, "rate", minimum=0, maximum=1)


@pytest.mark.parametrize("kwargs, value, message", [
    ({"minimum": 0, "maximum": 1}, 1.5, r"^rate must be a number in \[0, 1\]; got 1.5$"),
    ({"minimum": 0, "maximum": 1}, -0.1, r"^rate must be a number in \[0, 1\]; got -0.1$"),
    ({"minimum": 0}, -1, r"^delta_weight must be a number >= 0; got -1$"),
    ({"maximum": 2}, 3, r"^delta_weight must be a number <= 2; got 3$"),
    ({}, "x", r"^delta_weight must be a number; got 'x'$"),
])
def test_check_number_rejects_out_of_range_naming_the_bound(kwargs, value, message):
    name = "rate" if "maximum" in kwargs and "minimum" in kwargs else "delta_weight"
    with pytest.raises(ValueError, match=message):
        validation.check_number(value, name, **kwargs)


@pytest.mark.parametrize("value, include_low, include_high", [
    (1, False, True), (0.5, False, True), (0, True, False), (0.999, True, False),
    (0, True, True), (1, True, True), (np.float64(0.5), False, False),
    (fractions.Fraction(1, 2), False, False),
])
def test_check_interval_accepts_inside_and_at_closed_ends(value, include_low, include_high):
    result = validation.check_interval(value, "ratio", 0, 1, include_low=include_low,
                                       include_high=include_high)
    assert result == float(value) and type(result) is float


@pytest.mark.parametrize("value, include_low, include_high, message", [
    (0, False, True, r"^ratio must be a number in \(0, 1\]; got 0$"),
    (1.5, False, True, r"^ratio must be a number in \(0, 1\]; got 1.5$"),
    (1, True, False, r"^ratio must be a number in \[0, 1\); got 1$"),
    (-0.1, True, True, r"^ratio must be a number in \[0, 1\]; got -0.1$"),
    (1.0, False, False, r"^ratio must be a number in \(0, 1\); got 1.0$"),
    (0.0, False, False, r"^ratio must be a number in \(0, 1\); got 0.0$"),
])
def test_check_interval_rejects_outside_and_at_open_ends(value, include_low, include_high,
                                                         message):
    with pytest.raises(ValueError, match=message):
        validation.check_interval(value, "ratio", 0, 1, include_low=include_low,
                                  include_high=include_high)


@pytest.mark.parametrize("value", [True, np.bool_(True), float("nan"), "0.5", None])
def test_check_interval_rejects_bools_nan_and_non_numbers(value):
    with pytest.raises(ValueError, match=r"^test_fraction must be a number in \(0, 1\); got "):
        validation.check_interval(value, "test_fraction", 0, 1, include_low=False,
                                  include_high=False)


def test_check_choice_accepts_a_member_and_returns_it():
    assert validation.check_choice("layer", "normalization", ("batch", "layer")) == "layer"
    assert validation.check_choice(2, "channels", [1, 2]) == 2


@pytest.mark.parametrize("value", ["group", None, True])
def test_check_choice_rejects_others_listing_the_choices(value):
    with pytest.raises(ValueError, match=r"^mode must be one of \('a', 'b'\); got "):
        validation.check_choice(value, "mode", ["a", "b"])
