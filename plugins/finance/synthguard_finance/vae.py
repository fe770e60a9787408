"""One-pass variational autoencoder over the same column tokens as the transformer.

The any-order transformer draws a row in C network passes (one per column); this
model draws it in one: z ~ N(0, I), a residual MLP decodes z into logits for every
column's vocabulary, and the columns are drawn independently given z (Gumbel-max).
The shape is TVAE's (Xu et al. 2019); what differs is the input: the finance
plugin's quantile-bin tokens with in-bin shapes instead of TVAE's mode-specific
normalisation, so every column, continuous or not, is a categorical the decoder
predicts with a cross-entropy. The dependence between columns lives in z alone,
so conditioning on a column value would need rejection: this model samples
unconditionally (use the transformer, ``finance``, for exact conditioning).
"""

from __future__ import annotations

import torch
from torch import nn

from .model import init_marginal_bias


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(width, width))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.net(h)


class OnePassTabularVAE(nn.Module):
    def __init__(self, vocab_sizes: list[int], width: int = 128, n_layers: int = 2, latent: int = 32,
                 beta: float = 0.5, dropout: float = 0.1):
        super().__init__()
        self.vocab_sizes = list(vocab_sizes)
        self.latent, self.beta = latent, beta
        n_cols, total = len(vocab_sizes), sum(vocab_sizes)
        self.register_buffer("offsets", torch.tensor([0] + vocab_sizes[:-1]).cumsum(0), persistent=False)
        # the encoder's input layer: a row's one-hot tokens times a matrix = the sum of one embedding per cell
        self.value_emb = nn.Embedding(total, width)
        self.value_emb.weight.data.mul_(n_cols ** -0.5)
        self.encoder = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(n_layers)], nn.LayerNorm(width),
                                     nn.Linear(width, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, width), *[ResidualBlock(width, dropout) for _ in range(n_layers)],
                                     nn.LayerNorm(width))
        self.head = nn.Linear(width, total)
        # (C, V_max) positions of each column's vocabulary in the packed logits; padding points at a -inf column
        width_max = max(vocab_sizes)
        index = torch.full((n_cols, width_max), total)
        for j, (lo, v) in enumerate(zip(self.offsets.tolist(), vocab_sizes)):
            index[j, :v] = torch.arange(lo, lo + v)
        self.register_buffer("pad_index", index, persistent=False)

    def init_marginals(self, tokens: torch.Tensor) -> None:
        """Output bias = log frequency of each column value: the untrained decoder samples the marginals."""
        init_marginal_bias(self.head, self.offsets, tokens)

    def _by_column(self, packed: torch.Tensor) -> torch.Tensor:
        """(B, total) packed scores -> (B, C, V_max), -inf past each column's vocabulary: one softmax per column."""
        packed = torch.cat([packed, packed.new_full((packed.shape[0], 1), float("-inf"))], dim=1)
        return packed[:, self.pad_index]

    def loss(self, tokens: torch.Tensor, generator: torch.Generator, per_row: bool = False) -> torch.Tensor:
        """Negative ELBO per cell: (reconstruction NLL + beta * KL) / C, averaged over rows.

        Every row's term depends on that row alone, so the same loss serves DP-SGD (``per_row`` is accepted
        for the transformer's signature and changes nothing).
        """
        mu, logvar = self.encoder(self.value_emb(tokens + self.offsets[None, :]).sum(1)).chunk(2, dim=-1)
        eps = torch.randn(mu.shape, generator=generator, device=generator.device).to(mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        logits = self._by_column(self.head(self.decoder(z)))
        nll = nn.functional.cross_entropy(logits.flatten(0, 1), tokens.flatten(), reduction="none").view(tokens.shape).sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return (nll + self.beta * kl).mean() / tokens.shape[1]

    @torch.no_grad()
    def sample(self, tokens: torch.Tensor, hidden: torch.Tensor, generator: torch.Generator,
               temperature: float = 1.0) -> torch.Tensor:
        """Draw every hidden column in one decoder pass (all columns must be hidden: no conditioning)."""
        if not bool(hidden.all()):
            raise ValueError("the one-pass VAE samples unconditionally: every column must be hidden")
        z = torch.randn(tokens.shape[0], self.latent, generator=generator, device=generator.device)
        logits = self.head(self.decoder(z.to(tokens.device))).float()
        if temperature != 1.0:
            logits = logits / temperature
        u = torch.rand(logits.shape, generator=generator, device=generator.device).to(logits.device)
        # Gumbel-max: argmax(logits + Gumbel noise) is an exact draw from each column's softmax
        scores = logits.sub_(u.clamp_min_(1e-20).log_().neg_().log_())  # in place: the same numbers, no temporaries
        # one argmax per column's slice of the packed scores (the padded (B, C, V_max) copy cost a quarter of a draw)
        return torch.stack([scores[:, lo:lo + v].argmax(1) for lo, v in zip(self.offsets.tolist(), self.vocab_sizes)],
                           1).to(tokens.dtype)
