"""The reference conditional WGAN-GP in plain PyTorch (eager, CPU): the throughput peer.

Layer for layer the networks of `tfgenaug.networks.reference` (same shapes, widths,
normalisation, conditioning, activations and parameter counts), trained the same way:

- Generator: `[z (N, Z), y]` -> concat one-hot -> Linear 4*4*256 (no bias) -> BN ->
  ReLU -> ConvTranspose 128 -> BN -> ReLU -> ConvTranspose 64 -> BN -> ReLU ->
  ConvTranspose C (with bias) -> tanh. Every transposed convolution has kernel 4,
  stride 2 and padding 1, which is Keras' `same` for these shapes (4 -> 8 -> 16 -> 32),
  and no bias before a batch norm.
- Critic: `[x, y]` -> concat K one-hot label planes -> Conv 64 -> Conv 128 -> Conv 256
  (kernel 4, stride 2, padding 1 = `same`: 32 -> 16 -> 8 -> 4, LeakyReLU 0.2 after
  each, no normalisation) -> Flatten -> Linear 1.
- Batch norm as Keras' defaults: epsilon 1e-3, moving averages with momentum 0.99
  (PyTorch's `momentum=0.01`). Weights Glorot-uniform and biases zero, as Keras'.
- One `train_step`: `n_critic` critic updates (fresh noise and interpolation weights
  each, the batch's labels for the generated images, gradient penalty of weight
  lambda on `x_hat = real + alpha (fake - real)`), then one generator update; Adam
  (1e-4, betas (0.0, 0.9)) for both networks.

Tensors are NCHW (PyTorch's layout); Keras' reference is NHWC. The flattening and the
generator's reshape therefore order units differently, a permutation of a learned
layer that changes no shape, count or cost.

Example:
```python
model = build(channels=3)
images, labels = random_batches(3, batch=64, count=1)[0]
losses = train_step(model, images, labels)
```
"""

import dataclasses
import os
import sys

# Triton (PyTorch's GPU kernel compiler, shipped with its CUDA wheels) carries its own LLVM;
# loaded into a process where TensorFlow's is already loaded, `import triton` segfaults
# (torch 2.14.1+cu130 beside TF 2.21, seen 2026-12-06: the optimizer's constructor imports
# torch._dynamo, which probes for Triton). This peer runs eager on the CPU and never uses
# Triton, so the probe is told it is absent: a None entry in sys.modules makes the import
# raise ImportError, which PyTorch reads as "no Triton".
sys.modules.setdefault("triton", None)

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional  # noqa: E402

NUM_CLASSES = 10
NOISE_DIM = 128
IMAGE_SIZE = 32
START_SIZE = 4
GENERATOR_FILTERS = (256, 128, 64)
CRITIC_FILTERS = (64, 128, 256)
KERNEL = 4
# Keras BatchNormalization defaults: moving = 0.99 moving + 0.01 batch; epsilon 1e-3.
BN_MOMENTUM = 0.01
BN_EPSILON = 1e-3
LEAKY_SLOPE = 0.2
LEARNING_RATE = 1e-4
BETAS = (0.0, 0.9)
GP_WEIGHT = 10.0
N_CRITIC = 5
GP_EPSILON = 1e-10  # inside the square root of the gradient norm, as tfgenaug's


def label_planes(images: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """`images` (N, C, H, W) with the one-hot labels appended as K constant channels.

    Args:
        images: float tensor `(N, C, H, W)`.
        labels: int tensor `(N,)` of class ids.
        num_classes: K.

    Returns:
        `(N, C + K, H, W)`.
    """
    one_hot = functional.one_hot(labels.long(), num_classes).to(images.dtype)
    planes = one_hot[:, :, None, None].expand(-1, -1, images.shape[2], images.shape[3])
    return torch.cat([images, planes], dim=1)


def init_like_keras(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases on linear and convolution layers (Keras')."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class Generator(nn.Module):
    """The reference conditional generator: `(noise (N, Z), labels (N,))` -> `(N, C, 32, 32)`.

    Args:
        channels: C, 1 or 3.
        num_classes: K.
        noise_dim: Z.
    """

    def __init__(self, channels: int = 3, num_classes: int = NUM_CLASSES,
                 noise_dim: int = NOISE_DIM):
        super().__init__()
        self.num_classes = num_classes
        first = GENERATOR_FILTERS[0]
        self.project = nn.Linear(noise_dim + num_classes, START_SIZE * START_SIZE * first,
                                 bias=False)
        self.project_norm = nn.BatchNorm2d(first, eps=BN_EPSILON, momentum=BN_MOMENTUM)
        blocks = []
        for c_in, c_out in zip(GENERATOR_FILTERS, GENERATOR_FILTERS[1:], strict=False):
            blocks += [
                nn.ConvTranspose2d(c_in, c_out, KERNEL, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out, eps=BN_EPSILON, momentum=BN_MOMENTUM),
                nn.ReLU(),
            ]
        self.up = nn.Sequential(*blocks)
        self.to_image = nn.ConvTranspose2d(GENERATOR_FILTERS[-1], channels, KERNEL, stride=2,
                                           padding=1)
        init_like_keras(self)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        one_hot = functional.one_hot(labels.long(), self.num_classes).to(noise.dtype)
        x = self.project(torch.cat([noise, one_hot], dim=1))
        x = x.view(-1, GENERATOR_FILTERS[0], START_SIZE, START_SIZE)
        x = functional.relu(self.project_norm(x))
        x = self.up(x)
        return torch.tanh(self.to_image(x))


class Critic(nn.Module):
    """The reference conditional critic: `(images (N, C, 32, 32), labels (N,))` -> `(N,)`.

    Args:
        channels: C, 1 or 3.
        num_classes: K, the label planes appended to the image's channels.
    """

    def __init__(self, channels: int = 3, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.num_classes = num_classes
        layers = []
        c_in = channels + num_classes
        for c_out in CRITIC_FILTERS:
            layers += [nn.Conv2d(c_in, c_out, KERNEL, stride=2, padding=1),
                       nn.LeakyReLU(LEAKY_SLOPE)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        final_size = IMAGE_SIZE // 2 ** len(CRITIC_FILTERS)
        self.logit = nn.Linear(c_in * final_size * final_size, 1)
        init_like_keras(self)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = self.features(label_planes(images, labels, self.num_classes))
        return self.logit(torch.flatten(x, 1)).squeeze(1)


@dataclasses.dataclass
class WGANGP:
    """The two networks, their optimizers and the WGAN-GP settings.

    Attributes:
        generator: the `Generator`.
        critic: the `Critic`.
        g_optimizer: Adam of the generator.
        d_optimizer: Adam of the critic.
        n_critic: critic updates per generator update.
        gp_weight: lambda, the weight of the gradient penalty.
        noise_dim: Z.
    """

    generator: Generator
    critic: Critic
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    n_critic: int = N_CRITIC
    gp_weight: float = GP_WEIGHT
    noise_dim: int = NOISE_DIM


def use_all_cores() -> int:
    """Sets PyTorch's intra-op threads to `os.cpu_count()` and returns that number."""
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    return threads


def build(channels: int = 3, n_critic: int = N_CRITIC, gp_weight: float = GP_WEIGHT,
          seed: int = 0) -> WGANGP:
    """The reference WGAN-GP on CPU with Adam(1e-4, betas (0.0, 0.9)), in training mode.

    Args:
        channels: C, 1 or 3.
        n_critic: critic updates per `train_step`. Defaults to 5.
        gp_weight: lambda. Defaults to 10.
        seed: seeds PyTorch's global generator (weights, then the training noise).

    Returns:
        A `WGANGP`.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels}")
    use_all_cores()
    torch.manual_seed(seed)
    generator, critic = Generator(channels).train(), Critic(channels).train()
    return WGANGP(
        generator=generator,
        critic=critic,
        g_optimizer=torch.optim.Adam(generator.parameters(), lr=LEARNING_RATE, betas=BETAS),
        d_optimizer=torch.optim.Adam(critic.parameters(), lr=LEARNING_RATE, betas=BETAS),
        n_critic=n_critic,
        gp_weight=gp_weight,
    )


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     labels: torch.Tensor, alpha: torch.Tensor,
                     epsilon: float = GP_EPSILON) -> torch.Tensor:
    """Per-example penalty `(||grad_x D(x_hat, y)||_2 - 1)^2` (Gulrajani et al. 2017).

    `x_hat = real + alpha * (fake - real)`. The input gradient is built with
    `create_graph=True`, so the penalty can be differentiated for the critic's weights.

    Args:
        critic: maps `(images, labels)` to `(N,)` scores.
        real: real images `(N, ...)`.
        fake: generated images, same shape (detached from the generator).
        labels: int tensor `(N,)`.
        alpha: `(N,)` interpolation weights in [0, 1].
        epsilon: added under the square root so the norm's gradient is finite at 0.

    Returns:
        `(N,)` penalties.
    """
    alpha = alpha.view(-1, *([1] * (real.dim() - 1)))
    x_hat = (real + alpha * (fake - real)).requires_grad_(True)
    scores = critic(x_hat, labels)
    (grads,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.sqrt(grads.flatten(1).square().sum(dim=1) + epsilon)
    return (norms - 1.0).square()


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    """Turns gradients for `module`'s parameters on or off."""
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


def train_step(model: WGANGP, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """`model.n_critic` critic updates with gradient penalty, then one generator update.

    Args:
        model: the `WGANGP` to train.
        images: real images `(N, C, 32, 32)` in [-1, 1].
        labels: their int labels `(N,)`.

    Returns:
        The losses of the last critic update and of the generator update: `d_loss`,
        `gradient_penalty`, `wasserstein` (the critic's estimate, mean D(real) -
        mean D(fake)) and `g_loss`.
    """
    generator, critic = model.generator, model.critic
    batch = images.shape[0]
    set_requires_grad(critic, True)
    for _ in range(model.n_critic):
        noise = torch.randn(batch, model.noise_dim)
        with torch.no_grad():
            fake = generator(noise, labels)
        alpha = torch.rand(batch)
        distance = critic(fake, labels).mean() - critic(images, labels).mean()
        penalty = gradient_penalty(critic, images, fake, labels, alpha).mean()
        d_loss = distance + model.gp_weight * penalty
        model.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        model.d_optimizer.step()
    # The generator's update needs the critic's input gradients, not its weights'.
    set_requires_grad(critic, False)
    noise = torch.randn(batch, model.noise_dim)
    g_loss = -critic(generator(noise, labels), labels).mean()
    model.g_optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    model.g_optimizer.step()
    set_requires_grad(critic, True)
    return {"d_loss": d_loss.item(), "gradient_penalty": penalty.item(),
            "wasserstein": -distance.item(), "g_loss": g_loss.item()}


def random_batches(channels: int, batch: int, count: int,
                   seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """`count` batches of random images in [-1, 1] `(batch, C, 32, 32)` and labels.

    The values do not change the cost of a step; the batches are made once, in memory.
    """
    rng = torch.Generator().manual_seed(seed)
    return [(torch.rand(batch, channels, IMAGE_SIZE, IMAGE_SIZE, generator=rng) * 2 - 1,
             torch.randint(0, NUM_CLASSES, (batch,), generator=rng)) for _ in range(count)]


def steps_fn(model: WGANGP, batches: list[tuple[torch.Tensor, torch.Tensor]], steps: int):
    """A callable running `steps` train steps, cycling through `batches`."""
    position = 0

    def run():
        nonlocal position
        for _ in range(steps):
            images, labels = batches[position % len(batches)]
            position += 1
            train_step(model, images, labels)

    return run


def parameter_count(module: nn.Module, trainable: bool = True) -> int:
    """Trainable parameters of `module`, or (`trainable=False`) its float buffers
    (batch norm's running statistics, Keras' non-trainable weights)."""
    if trainable:
        return sum(p.numel() for p in module.parameters() if p.requires_grad)
    return sum(b.numel() for b in module.buffers() if b.is_floating_point())
