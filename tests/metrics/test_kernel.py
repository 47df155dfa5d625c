import numpy as np
import pytest

from tfgenaug.metrics import kid_from_features
from tfgenaug.metrics import mmd2_unbiased
from tfgenaug.metrics import polynomial_kernel


def brute_force_mmd2(x, y):
    d = x.shape[1]

    def k(a, b):
        return (sum(a[i] * b[i] for i in range(d)) / d + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def biased_mmd2(x, y):
    return float(
        polynomial_kernel(x, x).mean()
        + polynomial_kernel(y, y).mean()
        - 2 * polynomial_kernel(x, y).mean()
    )


def test_polynomial_kernel_value():
    x = np.array([[1.0, 2.0]])
    y = np.array([[3.0, -1.0], [0.0, 0.0]])
    np.testing.assert_allclose(polynomial_kernel(x, y), [[(0.5 + 1) ** 3, 1.0]])


def test_mmd2_matches_brute_force_loop():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    y = rng.normal(size=(4, 3)) + 0.5
    assert mmd2_unbiased(x, y) == pytest.approx(brute_force_mmd2(x, y), rel=1e-12)


def test_mmd2_is_unbiased_for_equal_distributions():
    # Many independent tiny samples: the biased V-statistic is clearly positive at this
    # size, the unbiased estimator averages to 0 within its standard error.
    rng = np.random.default_rng(1)
    unbiased, biased = [], []
    for _ in range(400):
        x, y = rng.normal(size=(2, 8, 4))
        unbiased.append(mmd2_unbiased(x, y))
        biased.append(biased_mmd2(x, y))
    standard_error = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert np.mean(biased) > 10 * standard_error  # the check above can fail


def test_kid_near_zero_for_same_distribution_and_larger_when_shifted():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(1000, 16))
    same = rng.normal(size=(1000, 16))
    shifted = rng.normal(size=(1000, 16)) + 0.5
    same_mean, same_std = kid_from_features(real, same, num_subsets=10, subset_size=300)
    shifted_mean, shifted_std = kid_from_features(real, shifted, num_subsets=10, subset_size=300)
    assert same_std > 0
    assert abs(same_mean) < 3 * same_std
    assert shifted_mean > 10 * max(same_std, abs(same_mean))
    assert shifted_mean > 5 * shifted_std


def test_subset_size_is_capped_at_the_smaller_set():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(30, 4))
    generated = rng.normal(size=(30, 4)) + 1.0
    mean, std = kid_from_features(real, generated, num_subsets=3, subset_size=1000)
    # Subsets of the full size are permutations: every estimate is the full-set one.
    assert mean == pytest.approx(mmd2_unbiased(real, generated), rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-10)


def test_kid_is_reproducible_with_seed():
    rng = np.random.default_rng(4)
    real, generated = rng.normal(size=(2, 200, 4))
    first = kid_from_features(real, generated, num_subsets=4, subset_size=50, seed=7)
    again = kid_from_features(real, generated, num_subsets=4, subset_size=50, seed=7)
    other = kid_from_features(real, generated, num_subsets=4, subset_size=50, seed=8)
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("real", "generated", "kwargs", "message"),
    [
        (np.zeros((5, 3)), np.zeros((5, 2)), {}, "same feature width; got 3 and 2"),
        (np.zeros((1, 3)), np.zeros((5, 3)), {}, "real needs at least 2 samples"),
        (np.zeros((5, 3)), np.zeros((5, 3)), {"subset_size": 1}, "subset_size must be"),
        (np.zeros((5, 3)), np.zeros((5, 3)), {"num_subsets": 0}, "num_subsets must be"),
    ],
)
def test_kid_input_errors(real, generated, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kid_from_features(real, generated, **kwargs)
