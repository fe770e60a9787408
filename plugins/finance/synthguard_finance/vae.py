"""One-pass variational autoencoder over the same column tokens as the transformer.

The any-order transformer draws a row in C network passes (one per column); this
model draws it in one: z ~ N(0, I), a residual MLP decodes z into logits for every
column's vocabulary, and the columns are drawn independently given z (inverse CDF).
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
        # which column each packed vocabulary entry belongs to: every column's softmax in a few packed operations
        # (a per-column loop costs a kernel per column, a padded (B, C, V_max) copy a gather of all of it)
        column_of = torch.repeat_interleave(torch.arange(n_cols), torch.tensor(vocab_sizes))
        self.register_buffer("column_of", column_of, persistent=False)
        # the encoder's input layer: a row's one-hot tokens times a matrix = the sum of one embedding per cell
        self.value_emb = nn.Embedding(total, width)
        self.value_emb.weight.data.mul_(n_cols ** -0.5)
        self.encoder = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(n_layers)], nn.LayerNorm(width),
                                     nn.Linear(width, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, width), *[ResidualBlock(width, dropout) for _ in range(n_layers)],
                                     nn.LayerNorm(width))
        self.head = nn.Linear(width, total)

    def init_marginals(self, tokens: torch.Tensor) -> None:
        """Output bias = log frequency of each column value: the untrained decoder samples the marginals."""
        init_marginal_bias(self.head, self.offsets, tokens)

    def _column_logsumexp(self, packed: torch.Tensor) -> torch.Tensor:
        """(B, total) packed logits -> (B, C): each column's log-sum-exp, shifted by the column's own maximum."""
        index = self.column_of.expand(packed.shape[0], -1)
        with torch.no_grad():  # the shift only keeps exp() in range; its value cancels out
            top = packed.new_full((packed.shape[0], len(self.vocab_sizes)), float("-inf"))
            top.scatter_reduce_(1, index, packed, "amax")
        sums = top.new_zeros(top.shape).index_add(1, self.column_of, (packed - top.gather(1, index)).exp())
        return sums.log() + top

    def posterior(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's q(z | row): mean and log-variance (B, latent) of each row's token codes (B, C)."""
        # a row's sum of cell embeddings as (multi-hot row) @ (embedding matrix): one matrix product each way,
        # where the embedding's lookup-and-sum took a scatter of every cell's gradient back
        cells = torch.zeros(tokens.shape[0], self.value_emb.num_embeddings, device=tokens.device)
        cells.scatter_(1, tokens + self.offsets, 1.0)
        mu, logvar = self.encoder(cells @ self.value_emb.weight).chunk(2, dim=-1)
        return mu, logvar

    @staticmethod
    def kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z | row) || N(0, I)) in nats, one per row."""
        return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)

    def loss(self, tokens: torch.Tensor, generator: torch.Generator, per_row: bool = False) -> torch.Tensor:
        """Negative ELBO per cell: (reconstruction NLL + beta * KL) / C, averaged over rows.

        Every row's term depends on that row alone, so the same loss serves DP-SGD (``per_row`` is accepted
        for the transformer's signature and changes nothing).
        """
        mu, logvar = self.posterior(tokens)
        eps = torch.randn(mu.shape, generator=generator, device=generator.device).to(mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        logits = self.head(self.decoder(z))
        # cross-entropy of every column at once: log-sum-exp of its logits minus the logit of its true value
        nll = self._column_logsumexp(logits).sum(1) - logits.gather(1, tokens + self.offsets).sum(1)
        return (nll + self.beta * self.kl(mu, logvar)).mean() / tokens.shape[1]

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
        # Inverse-CDF draw: one uniform per cell, in (0, 1], against each column's cumulative softmax. Gumbel-max
        # needed one per vocabulary entry (credit_data: 900 per row), and drawing them was a third of a sample call
        u = 1 - torch.rand(logits.shape[0], len(self.vocab_sizes), generator=generator,
                           device=generator.device).to(logits.device)
        drawn = []
        for j, (lo, v) in enumerate(zip(self.offsets.tolist(), self.vocab_sizes)):
            cdf = logits[:, lo:lo + v].softmax(1).cumsum(1)
            # the first value whose cumulative probability reaches u (scaled by the total, which rounding leaves
            # a hair off 1, so the last value is always reachable and never passed)
            drawn.append((cdf < u[:, j:j + 1] * cdf[:, -1:]).sum(1))
        return torch.stack(drawn, 1).to(tokens.dtype)
