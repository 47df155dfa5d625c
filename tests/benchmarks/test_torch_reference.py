"""`benchmarks/torch_reference.py`: the PyTorch peer of the reference conditional WGAN-GP."""

import math

import pytest

torch = pytest.importorskip("torch")

from benchmarks import torch_reference  # noqa: E402
from tfgenaug.networks.reference import reference_critic  # noqa: E402
from tfgenaug.networks.reference import reference_generator  # noqa: E402


def keras_counts(model) -> tuple[int, int]:
    """(trainable, non-trainable) weight counts of a Keras model."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    return trainable, sum(int(w.numpy().size) for w in model.non_trainable_weights)


@pytest.mark.parametrize("channels", [3, 1])
def test_parameter_counts_equal_the_keras_reference(channels):
    generator = torch_reference.Generator(channels)
    critic = torch_reference.Critic(channels)
    keras_g = keras_counts(reference_generator((32, 32, channels)))
    keras_d = keras_counts(reference_critic((32, 32, channels)))
    assert (torch_reference.parameter_count(generator),
            torch_reference.parameter_count(generator, trainable=False)) == keras_g
    assert (torch_reference.parameter_count(critic),
            torch_reference.parameter_count(critic, trainable=False)) == keras_d
    if channels == 3:  # the figures, so that both sides cannot drift together
        assert keras_g == (1_224_579, 896) and keras_d == (673_217, 0)


def test_networks_have_the_reference_shapes():
    generator, critic = torch_reference.Generator(3), torch_reference.Critic(3)
    labels = torch.tensor([0, 9])
    images = generator(torch.randn(2, 128), labels)
    assert images.shape == (2, 3, 32, 32)
    assert float(images.detach().abs().max()) <= 1.0  # tanh
    assert critic(images, labels).shape == (2,)
    # The label planes: K one-hot channels after the image's, constant over the image.
    planes = torch_reference.label_planes(images, labels, 10)
    assert planes.shape == (2, 13, 32, 32)
    assert torch.equal(planes[1, 3:, 5, 7], torch.eye(10)[9])
    assert torch.equal(planes[0, :3], images[0])


def test_one_train_step_changes_both_networks_and_returns_finite_losses():
    model = torch_reference.build(channels=3, n_critic=2, seed=0)
    images, labels = torch_reference.random_batches(3, batch=4, count=1)[0]
    networks = {"generator": model.generator, "critic": model.critic}
    before = {(name, weight): p.detach().clone() for name, network in networks.items()
              for weight, p in network.named_parameters()}
    losses = torch_reference.train_step(model, images, labels)
    assert set(losses) == {"d_loss", "gradient_penalty", "wasserstein", "g_loss"}
    assert all(math.isfinite(value) for value in losses.values()), losses
    moved = {key for key, value in before.items()
             if not torch.equal(value, dict(networks[key[0]].named_parameters())[key[1]])}
    # Every weight but the critic's last bias: it cancels in mean D(fake) - mean D(real)
    # and the penalty does not depend on it, so its gradient is 0 (so in Keras too).
    assert set(before) - moved == {("critic", "logit.bias")}
    # Each network's Adam has taken its own number of steps: n_critic and one.
    d_state = model.d_optimizer.state[next(model.critic.parameters())]
    g_state = model.g_optimizer.state[next(model.generator.parameters())]
    assert (int(d_state["step"]), int(g_state["step"])) == (2, 1)
    assert all(p.requires_grad for p in model.critic.parameters())


class SquareCritic(torch.nn.Module):
    """D(x, y) = c * sum(x^2): its input gradient is 2 c x_hat."""

    def __init__(self):
        super().__init__()
        self.c = torch.nn.Parameter(torch.tensor(1.0))

    def forward(self, images, labels):
        return self.c * images.flatten(1).square().sum(dim=1)


def test_gradient_penalty_of_a_hand_made_case():
    critic = SquareCritic()
    real = torch.tensor([[1.0, 0.0], [0.0, 0.0]]).view(2, 1, 1, 2)
    fake = torch.tensor([[5.0, 0.0], [0.0, 2.0]]).view(2, 1, 1, 2)
    alpha = torch.tensor([0.25, 0.5])
    # x_hat = (2, 0) and (0, 1); gradients 2 x_hat = (4, 0) and (0, 2), norms 4 and 2.
    penalty = torch_reference.gradient_penalty(critic, real, fake, torch.tensor([0, 1]), alpha,
                                               epsilon=0.0)
    torch.testing.assert_close(penalty, torch.tensor([9.0, 1.0]))
    # create_graph: the penalty (2 c |x_hat| - 1)^2 differentiates for the critic's
    # weight: d/dc = 2 (2 c |x_hat| - 1) 2 |x_hat| = 24 + 4 at c = 1.
    penalty.sum().backward()
    torch.testing.assert_close(critic.c.grad, torch.tensor(28.0))


def test_gradient_penalty_is_zero_for_a_unit_gradient():
    # D(x) = <w, x> with |w| = 1 everywhere: no penalty whatever the interpolation.
    class Linear(torch.nn.Module):
        def forward(self, images, labels):
            return images.flatten(1) @ torch.tensor([0.6, 0.8])

    real, fake = torch.randn(3, 1, 1, 2), torch.randn(3, 1, 1, 2)
    penalty = torch_reference.gradient_penalty(Linear(), real, fake, torch.zeros(3),
                                               torch.rand(3), epsilon=0.0)
    torch.testing.assert_close(penalty, torch.zeros(3), atol=1e-6, rtol=0)


def test_build_uses_every_core_and_the_reference_optimizer():
    model = torch_reference.build(channels=1)
    assert torch.get_num_threads() == torch_reference.use_all_cores()
    group = model.d_optimizer.param_groups[0]
    assert (group["lr"], group["betas"]) == (1e-4, (0.0, 0.9))
    assert (model.n_critic, model.gp_weight) == (5, 10.0)
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        torch_reference.build(channels=2)
