import numpy as np
import pytest

from tfgenaug.metrics import feature_moments
from tfgenaug.metrics import fid_from_features
from tfgenaug.metrics import frechet_distance
from tfgenaug.metrics import per_class_fid
from tfgenaug.metrics.frechet import _trace_sqrt_product_eigen


def diagonal_closed_form(mu1, var1, mu2, var2):
    return float(np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2 * np.sqrt(var1 * var2)))


def random_rotation(dim, rng):
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


MU1 = np.array([0.0, 1.0, -2.0, 0.5])
MU2 = np.array([1.0, 1.0, 0.0, -0.5])
VAR1 = np.array([1.0, 4.0, 0.25, 2.0])
VAR2 = np.array([9.0, 1.0, 0.25, 0.5])
EXPECTED = diagonal_closed_form(MU1, VAR1, MU2, VAR2)  # 6 + (4 + 1 + 0 + 0.5) = 11.5


def test_closed_form_value_of_the_example():
    assert abs(EXPECTED - 11.5) < 1e-12


def test_diagonal_gaussians_match_closed_form():
    value = frechet_distance(MU1, np.diag(VAR1), MU2, np.diag(VAR2))
    assert value == pytest.approx(EXPECTED, abs=1e-4)


def test_rotated_gaussians_match_closed_form():
    # Rotating both Gaussians by the same orthogonal Q leaves the distance unchanged
    # while making the covariances full, non-commuting-looking matrices.
    q = random_rotation(4, np.random.default_rng(1))
    value = frechet_distance(
        q @ MU1, q @ np.diag(VAR1) @ q.T, q @ MU2, q @ np.diag(VAR2) @ q.T
    )
    assert value == pytest.approx(EXPECTED, abs=1e-4)


def test_non_commuting_covariances_match_eigen_route():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 6, 6))
    sigma1, sigma2 = a @ a.T, b @ b.T + np.diag(np.arange(6.0))
    # The scipy sqrtm route against the symmetric eigenvalue route on full matrices.
    mu = np.zeros(6)
    expected = np.trace(sigma1 + sigma2) - 2 * _trace_sqrt_product_eigen(sigma1, sigma2)
    assert frechet_distance(mu, sigma1, mu, sigma2) == pytest.approx(expected, rel=1e-6)


def test_one_dimensional_formula():
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)


def test_symmetric():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 5))
    y = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5)) + 1.0
    assert fid_from_features(x, y) == pytest.approx(fid_from_features(y, x), rel=1e-8)


def test_fid_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(500, 16)) @ rng.normal(size=(16, 16)) + 3.0
    scale = np.trace(np.cov(x, rowvar=False))
    assert fid_from_features(x, x) < 1e-6 * scale


def test_large_samples_approach_closed_form():
    rng = np.random.default_rng(5)
    n = 20_000
    x = MU1 + rng.normal(size=(n, 4)) * np.sqrt(VAR1)
    y = MU2 + rng.normal(size=(n, 4)) * np.sqrt(VAR2)
    assert fid_from_features(x, y) == pytest.approx(EXPECTED, rel=0.03)


def test_singular_covariances_stay_finite_and_match_eigen_route():
    # Fewer samples than dimensions: both covariances are rank deficient.
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(2, 10, 32))
    (mu1, s1), (mu2, s2) = feature_moments(x), feature_moments(y)
    value = fid_from_features(x, y)
    eigen = float(
        np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * _trace_sqrt_product_eigen(s1, s2)
    )
    assert np.isfinite(value) and value >= 0
    assert value == pytest.approx(eigen, rel=1e-3)


def test_feature_moments_are_mean_and_unbiased_covariance():
    x = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]])
    mu, sigma = feature_moments(x)
    np.testing.assert_allclose(mu, [2.0, 2.0])
    np.testing.assert_allclose(sigma, np.cov(x.T))
    _, sigma_1d = feature_moments(np.array([[1.0], [3.0]]))
    assert sigma_1d.shape == (1, 1) and sigma_1d[0, 0] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("real", "generated", "message"),
    [
        (np.zeros((5, 3)), np.zeros((5, 4)), "same feature width; got 3 and 4"),
        (np.zeros((1, 3)), np.zeros((5, 3)), "real needs at least 2 samples; got 1"),
        (np.zeros((5, 3)), np.zeros((1, 3)), "generated needs at least 2 samples"),
        (np.zeros(5), np.zeros((5, 3)), "real must be a 2-D array"),
        (np.full((5, 3), np.nan), np.zeros((5, 3)), "real must be finite"),
    ],
)
def test_fid_input_errors(real, generated, message):
    with pytest.raises(ValueError, match=message):
        fid_from_features(real, generated)


def test_frechet_distance_shape_errors():
    with pytest.raises(ValueError, match="mu1 and mu2 must have the same width"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="sigma2 must be a \\(2, 2\\) matrix"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))


def test_per_class_fid():
    rng = np.random.default_rng(7)
    real = rng.normal(size=(3000, 3))
    real_labels = np.repeat([0, 1, 2], 1000)
    gen = rng.normal(size=(2000, 3))
    gen[1000:] += 2.0  # class 1 shifted by 2 on each axis: FID ≈ 12
    gen_labels = np.repeat([0, 1], 1000)
    fids = per_class_fid(real, real_labels, gen, gen_labels, num_classes=4)
    assert fids.shape == (4,)
    assert fids[0] < 0.05
    assert fids[1] == pytest.approx(12.0, rel=0.05)
    assert np.isnan(fids[2]) and np.isnan(fids[3])  # no generated / no samples at all
    expected_1 = fid_from_features(real[real_labels == 1], gen[gen_labels == 1])
    assert fids[1] == pytest.approx(expected_1)


def test_per_class_fid_errors():
    feats = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"gen_labels must lie in \[0, 2\); got values in"):
        per_class_fid(feats, [0, 0, 1, 1], feats, [0, 1, 2, 1], num_classes=2)
    with pytest.raises(ValueError, match="real_labels must have one label per sample"):
        per_class_fid(feats, [0, 1], feats, [0, 0, 1, 1], num_classes=2)
    with pytest.raises(ValueError, match="real_feats and gen_feats must have the same"):
        per_class_fid(feats, [0, 0, 1, 1], np.zeros((4, 3)), [0, 0, 1, 1], num_classes=2)
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        per_class_fid(feats, [0, 0, 0, 0], feats, [0, 0, 0, 0], num_classes=0)
