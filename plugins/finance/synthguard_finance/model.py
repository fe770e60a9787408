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
from synthguard.models import WeightAverage

#: rows that share one random column order when sampling (:meth:`AnyOrderTabularTransformer.sample`)
ORDER_ROWS = 64


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


class AnyOrderTabularTransformer(WeightAverage, nn.Module):
    """``positions`` (see :meth:`TableEncoder.ordinal_positions`) give numeric tokens their order: each ordered
    token's input embedding and output weight gain a shared smooth function of its place (``n_basis`` cosine
    features through ``ord_in``/``ord_out``), so what the model learns about one bin carries over to its
    neighbours. ``ord_out`` starts at zero: the untrained model still samples the marginals.

    ``ema`` > 0 keeps a moving average of the weights (:class:`synthguard.models.WeightAverage`): it moves once per
    training step inside :meth:`loss`, validation scores it, and the generator makes it the weights."""

    def __init__(self, vocab_sizes: list[int], d_model: int = 64, n_layers: int = 2, n_heads: int = 4,
                 dropout: float = 0.1, positions: list[list[float | None]] | None = None, n_basis: int = 16,
                 column_weights: list[float] | None = None, ema: float = 0.0):
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
        # each column's weight in the loss (training only: not saved, sampling never reads it)
        self.register_buffer("column_weights", None if column_weights is None else torch.tensor(column_weights),
                             persistent=False)
        self.ema = ema
        self._register_average()

    def init_marginals(self, tokens: torch.Tensor) -> None:
        """Start from the per-column marginals: output bias = log frequency.

        The untrained model then already samples every column's real distribution, so
        early stopping on small tables can never leave it worse than independent columns.
        """
        init_marginal_bias(self.head, self.offsets, tokens)
        self.reset_average()  # the weights' average starts there too

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
        return self.column_head(self._encode(tokens, hidden)[:, col], col)

    def column_head(self, h: torch.Tensor, col: int) -> torch.Tensor:
        """The output layer for column ``col`` alone: (B, D) encodings of that column's position to its logits."""
        lo, hi = int(self.offsets[col]), int(self.offsets[col]) + self.vocab_sizes[col]
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
        return self.with_average(self._loss, tokens, generator, per_row, shard)

    def _loss(self, tokens: torch.Tensor, generator: torch.Generator, per_row: bool, shard) -> torch.Tensor:
        hidden = self.draw_hidden(tokens.shape, generator).to(tokens.device)
        if shard is not None:
            return self._shard_loss(tokens, hidden, per_row, shard)
        cells = self._cell_losses(tokens, hidden)
        if not per_row:
            return cells.sum() / hidden.sum()
        return (cells.sum(1) / hidden.sum(1)).mean()

    @staticmethod
    def draw_hidden(shape: torch.Size, generator: torch.Generator, sync_free: bool | None = None) -> torch.Tensor:
        """The columns each row hides (B, C), on the generator's device: a rate per row from U(0, 1), and at
        least one column. ``sync_free`` (the default off the CPU): nothing waits for the device (no ``.any()``
        read on the host): a column is drawn for every row and kept where a row hid none — another random
        stream than the CPU's, which draws it only when some row needs one (so CPU fits stay as they were)."""
        (b, c), device = shape, generator.device
        if sync_free is None:
            sync_free = device.type != "cpu"
        rate = torch.rand(b, 1, generator=generator, device=device)
        hidden = torch.rand(b, c, generator=generator, device=device) < rate
        none = ~hidden.any(dim=1)
        if sync_free or none.any():  # every row predicts at least one column
            pick = torch.randint(0, c, (b,), generator=generator, device=device)
            hidden |= none[:, None] & (torch.arange(c, device=device)[None, :] == pick[:, None])
        return hidden

    def _cell_losses(self, tokens: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of every cell (B, C), zero where the column is visible: a masked sum rather than
        ``logits[hidden]``, whose size the host must read back from the device at every step."""
        logits, target = self(tokens, hidden), tokens + self.offsets[None, :]
        cells = nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none").view(hidden.shape)
        if self.column_weights is not None and self.training:  # validation (early stopping) weighs columns alike
            cells = cells * self.column_weights
        # the -inf logits of other columns' vocabularies never reach a cell's own loss: every cell is finite
        return torch.where(hidden, cells, torch.zeros((), dtype=cells.dtype, device=cells.device))

    def _shard_loss(self, tokens: torch.Tensor, hidden: torch.Tensor, per_row: bool, shard) -> torch.Tensor:
        """This shard's part of :meth:`loss` on the global batch ``tokens`` with its masks ``hidden``."""
        b = tokens.shape[0]
        count = float(b) if per_row else hidden.sum().float()
        lo, hi = shard.bounds(b)
        weight = 1.0 if hi > lo else 0.0  # no rows here: one row's loss times 0 keeps DDP's gradient hooks firing
        tokens, hidden = (tokens[lo:hi], hidden[lo:hi]) if hi > lo else (tokens[:1], hidden[:1])
        cells = self._cell_losses(tokens, hidden)
        total = (cells.sum(1) / hidden.sum(1)).sum() if per_row else cells.sum()
        return total * (weight * shard.world) / count

    @torch.no_grad()
    def sample(self, tokens: torch.Tensor, hidden: torch.Tensor, generator: torch.Generator,
               temperature: float = 1.0, columns: list[int] | None = None,
               order_rows: int = ORDER_ROWS) -> torch.Tensor:
        """Fill the hidden columns one at a time, in a random order drawn from ``generator`` (only those of
        ``columns`` when given: the rest stay hidden, for a later call); every ``order_rows`` rows draw their own
        order. The model's conditionals do not agree exactly across orders, so rows that share one order share its
        bias: with one order per 1,000-row output german_credit's column shapes read 0.960, with one per 64 rows
        0.967 and the quality 0.924 instead of 0.913 (10 draws; benchmarks/experiments/sampling_orders.py).

        On CPU in eval mode the logits come from :class:`ColumnSampler` (the same floating-point operations
        as :meth:`column_logits` through PyTorch's encoder fast path, minus the work whose result is thrown
        away), checked bit for bit against :meth:`column_logits` on a probe first; elsewhere, or if that
        check fails, from :meth:`column_logits` itself. Same draws either way.
        """
        tokens, hidden = tokens.clone(), hidden.clone()
        fast = ColumnSampler.for_model(self, tokens)
        column_logits = fast.column_logits if fast is not None else self.column_logits
        pool = list(range(tokens.shape[1])) if columns is None else columns
        for start in range(0, len(tokens), order_rows):
            part, part_hidden = tokens[start:start + order_rows], hidden[start:start + order_rows]  # views
            for col in [pool[i] for i in torch.randperm(len(pool), generator=generator).tolist()]:
                if not part_hidden[:, col].any():
                    continue
                logits = column_logits(part, part_hidden, col) / temperature
                probs = torch.softmax(logits.float(), dim=-1).cpu()
                draw = torch.multinomial(probs, 1, generator=generator).squeeze(1).to(tokens.device)
                rows = part_hidden[:, col]
                part[rows, col] = draw[rows]
                part_hidden[:, col] = False
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


class ColumnSampler:
    """:meth:`AnyOrderTabularTransformer.column_logits` for sampling on CPU: faster, and the same bits.

    In eval mode without gradients, ``nn.TransformerEncoderLayer`` runs PyTorch's fused fast path
    (``torch._transformer_encoder_layer_fwd``: layer norm, one QKV matmul, bias and query scaling, batched
    matmuls and softmax per head, output projection, feed-forward). This class runs the same operations with the
    same matrix shapes per row, so that every row's logits carry the same bits, and leaves out what sampling
    throws away:

    * the first layer's input, its layer norm and its QKV projection depend only on each token's id (values and
      [MASK] ids are per column): computed once for the ~800 ids and gathered;
    * the last layer is needed at the sampled column only: keys and values for every column, then the query,
      attention row, output projection, feed-forward and final norm of that column alone (the batched matmuls
      keep all T rows: PyTorch multiplies matrices under 400 multiply-adds, e.g. one query, with another
      kernel whose sums round differently);
    * rows go through the encoder ``block`` at a time (a block's activations stay in cache; a 4096-row chunk's
      QKV alone is 72 MB), and the chunk's logits are assembled before the softmax and the draw, so the
      generator is consumed exactly as before;
    * while at most two columns vary across the rows (the first steps), identical rows run once.

    This rests on a row's matmul results not depending on how many rows are multiplied with it (true of the
    BLAS PyTorch uses here, for blocks of at least ``MIN_ROWS`` rows); :meth:`for_model` checks it on a probe
    against :meth:`AnyOrderTabularTransformer.column_logits` and returns ``None`` on any difference, and the
    model's own path samples.
    """

    MIN_ROWS = 16  # smaller blocks are padded: one row would send the last layer's query matmul down another path

    def __init__(self, model: AnyOrderTabularTransformer, block: int = 256):
        self.model, self.block = model, block
        self.layers = list(model.encoder.layers)
        self._buffers: dict[tuple, torch.Tensor] = {}
        ids = torch.arange(model.value_emb.num_embeddings, device=model.offsets.device)
        self.n_ids = len(ids)
        col_of = torch.cat([torch.repeat_interleave(torch.arange(len(model.vocab_sizes)),
                                                    torch.tensor(model.vocab_sizes)),
                            torch.arange(len(model.vocab_sizes))]).to(ids.device)
        # model._encode's input, one row per id: (value embedding + ordinal features) + the column's position
        self.x0 = (model.value_emb(ids) + model.ord_in(model.basis[ids])) + model.col_emb.weight[col_of]
        qkv = self._project(self.layers[0], self.x0[:, None])[:, 0]  # (ids, 3 * D)
        heads = self.layers[0].self_attn.num_heads
        d = self.x0.shape[1]
        # (3 * heads * ids, head dim): gathering rows (part * heads + head) * ids + id gives (B, heads, T, hd) directly
        self.qkv0 = qkv.view(self.n_ids, 3 * heads, d // heads).transpose(0, 1).reshape(3 * heads * self.n_ids, d // heads)
        self.head_offsets = (torch.arange(heads) * self.n_ids)[None, :, None]

    @classmethod
    def for_model(cls, model: AnyOrderTabularTransformer, tokens: torch.Tensor) -> "ColumnSampler | None":
        """A sampler for ``model`` when its layers take PyTorch's fast path here and the probe agrees, else None."""
        if tokens.device.type != "cpu" or model.training or torch.is_grad_enabled() or len(tokens) == 0:
            return None
        if not torch.backends.mha.get_fastpath_enabled() or torch.is_autocast_enabled():
            return None
        layers = getattr(getattr(model, "encoder", None), "layers", None)
        if not layers or any(type(layer) is not nn.TransformerEncoderLayer for layer in layers):
            return None
        for layer in layers:
            attn = layer.self_attn
            if not (layer.norm_first and getattr(layer, "activation_relu_or_gelu", 0) == 1 and attn.batch_first
                    and attn._qkv_same_embed_dim and attn.in_proj_bias is not None and attn.num_heads % 2 == 0
                    and layer.norm1.eps == layer.norm2.eps and not layer._forward_hooks
                    and not layer._forward_pre_hooks and attn.in_proj_weight.dtype == torch.float32):
                return None
        if any(m._forward_hooks or m._forward_pre_hooks for m in model.modules()):
            return None
        sampler = cls(model)
        return sampler if sampler._agrees(tokens.shape[1]) else None

    def _agrees(self, n_cols: int) -> bool:
        """Bitwise equal to ``model.column_logits`` on a probe of 40 rows (a full block and a padded one)?"""
        probe_gen = torch.Generator().manual_seed(0)  # its own generator: the caller's draws stay untouched
        probe = torch.stack([torch.randint(0, v, (40,), generator=probe_gen) for v in self.model.vocab_sizes], 1)
        hidden = torch.rand(40, n_cols, generator=probe_gen) < 0.5
        hidden[0] = True  # the first step's all-hidden row
        block, self.block = self.block, 32
        try:
            for col in sorted({0, n_cols // 2, n_cols - 1}):
                if not torch.equal(self.column_logits(probe, hidden, col), self.model.column_logits(probe, hidden, col)):
                    return False
            few = hidden.clone()
            few[:, 1:] = True  # one column varies: identical rows run once
            return torch.equal(self.column_logits(probe, few, n_cols - 1), self.model.column_logits(probe, few, n_cols - 1))
        finally:
            self.block = block

    def _buffer(self, key: str, shape: tuple[int, ...]) -> torch.Tensor:
        """A zero-initialised scratch tensor kept between calls (rows written and read per call, others ignored):
        the first ``shape[0]`` rows of one buffer per key and trailing shape, grown when a call needs more. One
        buffer per full shape kept one for every block size that deduplicated rows produce (up to ~50 with
        64-row column orders)."""
        buf = self._buffers.get((key, shape[1:]))
        if buf is None or len(buf) < shape[0]:
            buf = self._buffers[(key, shape[1:])] = torch.zeros(shape, dtype=self.x0.dtype)
        return buf[:shape[0]]

    @staticmethod
    def _project(layer: nn.TransformerEncoderLayer, src: torch.Tensor) -> torch.Tensor:
        """(B, T, 3 * D): norm1, the packed in-projection, bias, the query scaled, as the fast path does."""
        attn = layer.self_attn
        b, t, d = src.shape
        x = nn.functional.layer_norm(src, (d,), layer.norm1.weight, layer.norm1.bias, layer.norm1.eps)
        qkv = (torch.mm(x.reshape(b * t, d), attn.in_proj_weight.t()) + attn.in_proj_bias).view(b, t, 3 * d)
        qkv[:, :, :d] *= 1.0 / (d // attn.num_heads) ** 0.5
        return qkv

    def _heads(self, layer: nn.TransformerEncoderLayer, src: torch.Tensor, col: int | None) -> tuple[torch.Tensor, ...]:
        """q, k, v as (B * heads, T, hd) for a layer after the first; with ``col``, only that column's query is
        computed (the other query rows hold stale values that nothing reads)."""
        attn = layer.self_attn
        b, t, d = src.shape
        h = attn.num_heads
        if col is None:
            qkv = self._project(layer, src).view(b, t, 3, h, d // h)
            return tuple(qkv[:, :, i].transpose(1, 2).reshape(b * h, t, d // h) for i in range(3))
        x = nn.functional.layer_norm(src, (d,), layer.norm1.weight, layer.norm1.bias, layer.norm1.eps)
        kv = torch.mm(x.reshape(b * t, d), attn.in_proj_weight[d:].t()).view(b, t, 2, h, d // h)
        bias = attn.in_proj_bias[d:].view(2, h, 1, d // h)
        k, v = (torch.add(kv[:, :, i].transpose(1, 2), bias[i], out=torch.empty(b, h, t, d // h)) for i in range(2))
        q = self._buffer("q", (b * h, t, d // h))
        q[:, col] = ((torch.mm(x[:, col], attn.in_proj_weight[:d].t()) + attn.in_proj_bias[:d])
                     * (1.0 / (d // h) ** 0.5)).view(b * h, d // h)
        return q, k.view(b * h, t, d // h), v.view(b * h, t, d // h)

    def _rest(self, layer: nn.TransformerEncoderLayer, src: torch.Tensor, q: torch.Tensor, k: torch.Tensor,
              v: torch.Tensor, col: int | None = None) -> torch.Tensor:
        """The layer after the projection: attention of the queries over the keys/values (B*heads, T, hd), output
        projection plus ``src`` (B, T, D), then the feed-forward block with its residual; with ``col``, for that
        column's query row only (``src`` is then (B, 1, D))."""
        b, tq, d = src.shape
        heads = layer.self_attn.num_heads
        scores = torch.bmm(q, k.transpose(1, 2))
        if col is None:
            ctx = torch.bmm(torch.softmax(scores, dim=-1), v)
        else:  # row ``col``'s softmax into a (B*heads, T, T) matrix whose other rows nothing reads
            p = self._buffer("p", tuple(scores.shape))
            p[:, col] = torch.softmax(scores[:, col], dim=-1)
            ctx = torch.bmm(p, v)[:, col:col + 1]
        ctx = ctx.reshape(b, heads, tq, d // heads).transpose(1, 2).reshape(b * tq, d)
        out = layer.self_attn.out_proj
        x = torch.addmm(out.bias, ctx, out.weight.t()).view(b, tq, d)
        x += src
        y = nn.functional.layer_norm(x, (d,), layer.norm2.weight, layer.norm2.bias, layer.norm2.eps)
        y = torch.relu_(torch.addmm(layer.linear1.bias, y.view(b * tq, d), layer.linear1.weight.t()))
        y = torch.addmm(layer.linear2.bias, y, layer.linear2.weight.t()).view(b, tq, d)
        y += x
        return y

    def _block_logits(self, ids: torch.Tensor, col: int) -> torch.Tensor:
        model, layers = self.model, self.layers
        rows = len(ids)
        if rows < self.MIN_ROWS:
            ids = torch.cat([ids, ids[:1].expand(self.MIN_ROWS - rows, -1)])
        b, t = ids.shape
        h = layers[0].self_attn.num_heads
        src = self.x0.index_select(0, ids.reshape(-1)).view(b, t, -1)  # index_select: 5x faster than x0[ids]
        first = (ids[:, None, :] + self.head_offsets).reshape(-1)  # (B, heads, T) rows of the table
        hd = self.qkv0.shape[1]
        q, k, v = (self.qkv0.index_select(0, first + i * h * self.n_ids).view(b * h, t, hd) for i in range(3))
        for i, layer in enumerate(layers):
            last = i == len(layers) - 1
            if i > 0:
                q, k, v = self._heads(layer, src, col if last else None)
            src = self._rest(layer, src[:, col:col + 1] if last else src, q, k, v, col if last else None)
        h = model.norm(src[:, 0])  # the padding rows too: the output layer's matmuls also see at least MIN_ROWS
        return model.column_head(h, col)[:rows]

    def column_logits(self, tokens: torch.Tensor, hidden: torch.Tensor, col: int) -> torch.Tensor:
        """Same as :meth:`AnyOrderTabularTransformer.column_logits`, row for row and bit for bit."""
        model = self.model
        lo, hi = int(model.offsets[col]), int(model.offsets[col]) + model.vocab_sizes[col]
        ids = torch.where(hidden, model.mask_ids[None, :], tokens + model.offsets[None, :])
        inverse = None
        if int((ids != ids[:1]).any(0).sum()) <= 2:  # the first steps: few distinct rows
            ids, inverse = torch.unique(ids, dim=0, return_inverse=True)
        out = torch.empty(len(ids), hi - lo, dtype=self.x0.dtype)
        for start in range(0, len(ids), self.block):
            out[start:start + self.block] = self._block_logits(ids[start:start + self.block], col)
        return out if inverse is None else out[inverse]
