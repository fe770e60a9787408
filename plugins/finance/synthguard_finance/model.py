"""Any-order autoregressive transformer over column tokens.

Each row is a sequence of C tokens (one per column). Training hides a random
subset of columns (mask rate drawn per row from U(0, 1)) and learns to predict
every hidden column from the visible ones — the any-order autoregressive
objective (Uria et al. 2014; Hoogeboom et al. 2022), the same family as
TabularARGN's any-order training. Because any column can be predicted from any
other subset, one model samples unconditionally (reveal columns one by one)
and conditionally (start with the condition columns revealed), exactly, with
no rejection sampling.
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def init_marginal_bias(head: nn.Linear, offsets: torch.Tensor, tokens: torch.Tensor) -> None:
    """Set the output layer's bias over the packed vocabularies to log frequency of each column value."""
    target = (tokens + offsets[None, :].to(tokens.device)).flatten()
    counts = torch.bincount(target.cpu(), minlength=head.out_features).float()
    head.bias.copy_(torch.log(counts + 0.5))


class ColumnPositions(nn.Module):
    """Adds one learned vector per column (position) to the column tokens' embeddings.

    A module of its own (not a bare parameter on the model) so DP-SGD can compute
    its per-sample gradients (see :mod:`synthguard_finance.privacy`).
    """

    def __init__(self, n_cols: int, d_model: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_cols, d_model) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[None]


def ordinal_basis(positions: list[list[float | None]] | None, vocab_sizes: list[int], n_basis: int) -> torch.Tensor:
    """(total vocab, n_basis) smooth functions of each ordered token's place: its place ``q`` and cos(pi k q), k = 1..;
    zeros for unordered tokens (categories, NaN) and when ``positions`` is None."""
    total = sum(vocab_sizes)
    basis = torch.zeros(total, max(n_basis, 1))  # width 1 of zeros when switched off: ord_in/ord_out stay inert
    if positions is None or n_basis == 0:
        return basis
    flat = [p for col in positions for p in col]
    if len(flat) != total:
        raise ValueError(f"{len(flat)} token places for {total} tokens: expected one per token")
    ordered = torch.tensor([p is not None for p in flat])
    q = torch.tensor([0.0 if p is None else float(p) for p in flat])
    k = torch.arange(n_basis, dtype=torch.float32)
    features = torch.cos(torch.pi * k[None, :] * q[:, None])
    features[:, 0] = q - 0.5  # cos(0) = 1 would duplicate the token's own embedding: the linear trend instead
    return torch.where(ordered[:, None], features, torch.zeros_like(features))


class AnyOrderTabularTransformer(nn.Module):
    """``positions`` (see :meth:`TableEncoder.ordinal_positions`) give numeric tokens their order: each ordered
    token's input embedding and output weight gain a shared smooth function of its place (``n_basis`` cosine
    features through ``ord_in``/``ord_out``), so what the model learns about one bin carries over to its
    neighbours. ``ord_out`` starts at zero: the untrained model still samples the marginals."""

    def __init__(self, vocab_sizes: list[int], d_model: int = 64, n_layers: int = 2, n_heads: int = 4,
                 dropout: float = 0.1, positions: list[list[float | None]] | None = None, n_basis: int = 16):
        super().__init__()
        self.vocab_sizes = list(vocab_sizes)
        n_cols, total = len(vocab_sizes), sum(vocab_sizes)
        offsets = torch.tensor([0] + vocab_sizes[:-1]).cumsum(0)
        self.register_buffer("offsets", offsets, persistent=False)
        self.register_buffer("mask_ids", total + torch.arange(n_cols), persistent=False)
        col_of = torch.repeat_interleave(torch.arange(n_cols), torch.tensor(vocab_sizes))
        self.register_buffer("allowed", col_of[None, :] == torch.arange(n_cols)[:, None], persistent=False)
        self.value_emb = nn.Embedding(total + n_cols, d_model)       # values + one [MASK] per column
        self.col_emb = ColumnPositions(n_cols, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=2 * d_model, dropout=dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, total)
        basis = ordinal_basis(positions, self.vocab_sizes, n_basis)
        self.register_buffer("basis", torch.cat([basis, torch.zeros(n_cols, basis.shape[1])]), persistent=False)  # [MASK]: 0
        self.ord_in = nn.Linear(basis.shape[1], d_model, bias=False)
        self.ord_out = nn.Linear(d_model, basis.shape[1], bias=False)
        nn.init.zeros_(self.ord_out.weight)

    def init_marginals(self, tokens: torch.Tensor) -> None:
        """Start from the per-column marginals: output bias = log frequency.

        The untrained model then already samples every column's real distribution, so
        early stopping on small tables can never leave it worse than independent columns.
        """
        init_marginal_bias(self.head, self.offsets, tokens)

    def _encode(self, tokens: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        ids = torch.where(hidden, self.mask_ids[None, :], tokens + self.offsets[None, :])
        return self.norm(self.encoder(self.col_emb(self.value_emb(ids) + self.ord_in(self.basis[ids]))))

    def forward(self, tokens: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """Logits (B, C, total vocab) for every column; entries of other columns' vocabularies are -inf."""
        h = self._encode(tokens, hidden)
        logits = self.head(h) + self.ord_out(h) @ self.basis[:self.head.out_features].T
        return logits.masked_fill(~self.allowed[None], float("-inf"))

    def column_logits(self, tokens: torch.Tensor, hidden: torch.Tensor, col: int) -> torch.Tensor:
        """Logits (B, vocab of ``col``) for one column: the output layer runs on that position and vocabulary only."""
        lo, hi = int(self.offsets[col]), int(self.offsets[col]) + self.vocab_sizes[col]
        h = self._encode(tokens, hidden)[:, col]
        return nn.functional.linear(h, self.head.weight[lo:hi], self.head.bias[lo:hi]) + self.ord_out(h) @ self.basis[lo:hi].T

    def loss(self, tokens: torch.Tensor, generator: torch.Generator, per_row: bool = False,
             shard=None) -> torch.Tensor:
        """Cross-entropy on a random subset of hidden columns (any-order objective).

        Averaged over all hidden cells of the batch, or with ``per_row`` over each
        row's hidden cells first, then over rows — a loss in which every row's term
        depends on that row alone (what DP-SGD's per-record clipping needs).
        With ``shard`` (:class:`synthguard.distributed.Shard`) ``tokens`` is the global batch: the masks are
        drawn for all of it, the model runs on this shard's rows only, and their sum is divided by the
        global batch's count times the world size (:class:`synthguard.distributed.DataParallel`).
        """
        b, c = tokens.shape
        rate = torch.rand(b, 1, generator=generator, device=generator.device)
        hidden = torch.rand(b, c, generator=generator, device=generator.device) < rate
        none = ~hidden.any(dim=1)
        if none.any():  # every row predicts at least one column
            pick = torch.randint(0, c, (b,), generator=generator, device=generator.device)
            hidden[none, pick[none]] = True
        hidden = hidden.to(tokens.device)
        if shard is not None:
            return self._shard_loss(tokens, hidden, per_row, shard)
        logits = self(tokens, hidden)
        target = tokens + self.offsets[None, :]
        if not per_row:
            return nn.functional.cross_entropy(logits[hidden], target[hidden])
        cells = nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none").view(b, c)
        cells = torch.where(hidden, cells, torch.zeros_like(cells))  # -inf logits of other columns never reach here
        return (cells.sum(1) / hidden.sum(1)).mean()

    def _shard_loss(self, tokens: torch.Tensor, hidden: torch.Tensor, per_row: bool, shard) -> torch.Tensor:
        """This shard's part of :meth:`loss` on the global batch ``tokens`` with its masks ``hidden``."""
        b = tokens.shape[0]
        count = float(b) if per_row else hidden.sum().float()
        lo, hi = shard.bounds(b)
        weight = 1.0 if hi > lo else 0.0  # no rows here: one row's loss times 0 keeps DDP's gradient hooks firing
        tokens, hidden = (tokens[lo:hi], hidden[lo:hi]) if hi > lo else (tokens[:1], hidden[:1])
        logits, target = self(tokens, hidden), tokens + self.offsets[None, :]
        if per_row:
            cells = nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none")
            cells = torch.where(hidden, cells.view(hidden.shape), torch.zeros_like(hidden, dtype=cells.dtype))
            total = (cells.sum(1) / hidden.sum(1)).sum()
        else:
            total = nn.functional.cross_entropy(logits[hidden], target[hidden], reduction="sum")
        return total * (weight * shard.world) / count

    @torch.no_grad()
    def sample(self, tokens: torch.Tensor, hidden: torch.Tensor, generator: torch.Generator,
               temperature: float = 1.0) -> torch.Tensor:
        """Fill the hidden columns one at a time, in a random order drawn from ``generator``."""
        tokens, hidden = tokens.clone(), hidden.clone()
        order = torch.randperm(tokens.shape[1], generator=generator)
        for col in order.tolist():
            if not hidden[:, col].any():
                continue
            logits = self.column_logits(tokens, hidden, col) / temperature
            probs = torch.softmax(logits.float(), dim=-1).cpu()
            draw = torch.multinomial(probs, 1, generator=generator).squeeze(1).to(tokens.device)
            rows = hidden[:, col]
            tokens[rows, col] = draw[rows]
            hidden[:, col] = False
        return tokens

    @torch.no_grad()
    def column_log_prob(self, tokens: torch.Tensor, hidden: torch.Tensor, col: int) -> torch.Tensor:
        """log p(tokens[:, col] | the columns not ``hidden``) per row (nats); ``col`` itself is always hidden.

        What :mod:`synthguard.explain` scores with: the learned conditional of one column given any subset
        of the others — the quantity the any-order objective trains.
        """
        hidden = hidden.clone()
        hidden[:, col] = True
        logits = self.column_logits(tokens, hidden, col).float()
        return torch.log_softmax(logits, dim=-1).gather(1, tokens[:, col:col + 1]).squeeze(1)
