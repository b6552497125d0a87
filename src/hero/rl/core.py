"""HERO's math as pure functions over tensors and plain numbers (no trainer, no config objects).

Notation: a batch holds N = n_groups · G completions, the G completions of one prompt contiguous (TRL's order).
  r (N,)  rewards                      A (N,)  group advantages
  H (N,)  per-completion entropy       w (N,)  entropy-aware weights
A NaN entropy means "unknown" (no answer token, empty completion): such a completion gets the neutral weight 1.

Sources: group advantages are GRPO's (Shao et al., 2024, DeepSeekMath); the variance gate, the softmax and the
negative-exponential entropy weights are HERO's (the HERO paper, https://azureovo.github.io/hero.html: "dynamic
entropy penalty + variance gating"); each function's docstring gives the formula as coded.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from hero.mathutil import binary_entropy  # noqa: F401  (re-exported: one definition, hero.mathutil)


def group_mean_std(rewards: torch.Tensor, num_generations: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-group mean and std of `rewards` (N,), each repeated back to (N,), ignoring NaN rewards.

    The std is the Bessel-corrected one TRL computes (`trl.trainer.utils.nanstd`): sqrt(Σ(r−r̄)²/(n−1)) over the
    n non-NaN rewards of the group; a group with fewer than 2 valid rewards has std NaN.
    """
    grouped = rewards.view(-1, num_generations)  # (n_groups, G)
    mean = torch.nanmean(grouped, dim=1, keepdim=True)  # (n_groups, 1)
    count = (~torch.isnan(grouped)).sum(dim=1, keepdim=True)  # (n_groups, 1)
    sq = torch.nanmean((grouped - mean) ** 2, dim=1, keepdim=True)  # (n_groups, 1)
    bessel = torch.where(count > 1, count / (count - 1).clamp(min=1), torch.full_like(sq, float("nan")))
    std = torch.sqrt(sq * bessel)  # (n_groups, 1)
    return mean.expand_as(grouped).reshape(-1), std.expand_as(grouped).reshape(-1)


def gate_rewards(per_func: torch.Tensor, weights: torch.Tensor, names: list[str], gate_reward: str | None
                 ) -> torch.Tensor:
    """The rewards (N,) the variance gate and hard negatives read, from the per-function rewards (N, F): the
    weighted sum over functions (NaN where every function is NaN, as TRL marks unscorable rows) when `gate_reward`
    is None, else that function's own unweighted column. per_func [[1, 0.5], [0, -0.2]], weights [1, 1]:
    None → [1.5, −0.2]; "yes_no_exact" (names ["yes_no_exact", "nli"]) → [1, 0]."""
    if gate_reward is not None:
        if gate_reward not in names:
            raise ValueError(f"gate_reward={gate_reward!r} is not one of this run's reward functions {names}")
        return per_func[:, names.index(gate_reward)].clone()
    summed = (per_func * weights.to(per_func.device).unsqueeze(0)).nansum(dim=1)  # (N,)
    summed[torch.isnan(per_func).all(dim=1)] = float("nan")
    return summed


def group_advantages(rewards: torch.Tensor, num_generations: int, eps: float = 1e-4) -> torch.Tensor:
    """A_i = (r_i − mean_g r) / (std_g r + eps), shape (N,) — TRL's `scale_rewards="group"` advantage.

    NaN rewards (unscorable completions) get advantage 0, as in TRL.
    """
    mean, std = group_mean_std(rewards, num_generations)  # (N,), (N,)
    adv = (rewards - mean) / (torch.nan_to_num(std, nan=0.0) + eps)
    return torch.nan_to_num(adv, nan=0.0)


def group_keep_mask(
    rewards: torch.Tensor, num_generations: int, delta: float = 1e-6, budget: float | None = None
) -> torch.Tensor:
    """Variance gate (HERO): bool (n_groups,), True for the groups that stay in the batch.

    A group is kept iff std_g(r) > delta (all-right and all-wrong binary groups have std 0 and are dropped; a group
    whose std is NaN — fewer than 2 scorable rewards — is dropped too). Budget mode (`budget` = ρ in (0, 1]) then
    keeps at most k = ceil(ρ · n_groups) of them, those with the largest std (ties: the earlier group wins).
    """
    _, std = group_mean_std(rewards, num_generations)
    std_g = torch.nan_to_num(std.view(-1, num_generations)[:, 0], nan=0.0)  # (n_groups,)
    keep = std_g > delta  # (n_groups,)
    if budget is not None:
        k = math.ceil(budget * std_g.numel() - 1e-9)
        order = torch.argsort(-std_g, stable=True)  # (n_groups,) largest std first
        top = torch.zeros_like(keep)
        top[order[:k]] = True
        keep = keep & top
    return keep


def binary_entropy_from_logits(pos_logit: torch.Tensor, neg_logit: torch.Tensor) -> torch.Tensor:
    """Binary entropy of p = p(pos) / (p(pos) + p(neg)) from the two (log-)scores, numerically stable.

    With d = pos − neg, p = σ(d), ln p = −softplus(−d), ln(1−p) = −softplus(d), so
    H = p · softplus(−d) + (1 − p) · softplus(d).
    """
    d = pos_logit - neg_logit
    p = torch.sigmoid(d)
    return p * F.softplus(-d) + (1 - p) * F.softplus(d)


def mean_token_entropy(entropies: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of per-token entropies (B, T) over the completion tokens where mask (B, T) is 1 → (B,); NaN if none."""
    mask = mask.to(entropies.dtype)
    count = mask.sum(dim=1)  # (B,)
    total = (entropies * mask).sum(dim=1)  # (B,)
    return torch.where(count > 0, total / count.clamp(min=1), torch.full_like(total, float("nan")))


def answer_positions(completion_ids: torch.Tensor, mask: torch.Tensor, answer_ids: torch.Tensor) -> torch.Tensor:
    """Index (B,) of the LAST completion token that is one of `answer_ids` (K,) within mask (B, T); −1 if none."""
    hit = torch.isin(completion_ids, answer_ids.to(completion_ids.device)) & mask.bool()  # (B, T)
    idx = torch.arange(completion_ids.size(1), device=completion_ids.device).expand_as(hit)  # (B, T)
    return torch.where(hit, idx, torch.full_like(idx, -1)).max(dim=1).values  # (B,)


def answer_entropy(answer_logits: torch.Tensor, positions: torch.Tensor, is_positive: torch.Tensor) -> torch.Tensor:
    """Binary entropy (B,) at the answer position from the answer-token logits.

    answer_logits (B, T, K): the (temperature-scaled) logits of the K answer tokens at each completion position,
    is_positive (K,) bool: which of the K tokens spell the positive answer ("yes", " yes", ...), the rest the
    negative one. p(yes) = Σ_pos softmax / Σ_all softmax, i.e. binary entropy of logsumexp(pos) vs logsumexp(neg).
    Rows with position −1 (no answer token) get NaN.
    """
    B = answer_logits.size(0)
    safe = positions.clamp(min=0)  # (B,)
    at = answer_logits[torch.arange(B, device=answer_logits.device), safe]  # (B, K)
    neg_inf = torch.full_like(at, float("-inf"))
    pos = torch.logsumexp(torch.where(is_positive, at, neg_inf), dim=-1)  # (B,)
    neg = torch.logsumexp(torch.where(is_positive, neg_inf, at), dim=-1)  # (B,)
    h = binary_entropy_from_logits(pos, neg)  # (B,)
    return torch.where(positions >= 0, h, torch.full_like(h, float("nan")))


def softmax_weights(entropy: torch.Tensor, num_generations: int, tau: float = 1.0) -> torch.Tensor:
    """HERO's softmax entropy weight: w_i = G_k · exp(−H_i/τ) / Σ_{j known} exp(−H_j/τ) within each group → (N,);
    mean weight per group is 1.

    G_k is the number of completions of the group with a known (non-NaN) entropy; NaN-entropy completions get 1.
    """
    grouped = entropy.view(-1, num_generations)  # (n_groups, G)
    known = ~torch.isnan(grouped)  # (n_groups, G)
    logits = torch.where(known, -grouped / tau, torch.full_like(grouped, float("-inf")))
    probs = torch.softmax(logits, dim=1)  # (n_groups, G); NaN rows if no known member
    w = known.sum(dim=1, keepdim=True).to(grouped.dtype) * probs
    return torch.where(known, w, torch.ones_like(w)).reshape(-1)


def neg_exp_weights(
    entropy: torch.Tensor, advantages: torch.Tensor, lam: float = 2.0, tau: float = 0.2, w_max: float = 3.0
) -> torch.Tensor:
    """HERO's negative-exponential entropy weight: w_i = min(w_max, 1 + λ · exp(−H_i/τ)) if A_i < 0 else 1 → (N,):
    only confident errors are amplified.

    NaN entropy → 1. With the defaults a wrong answer at H = 0 costs 3×, at H = ln 2 1 + 2 · 2⁻⁵ = 1.0625×.
    """
    boost = torch.clamp(1 + lam * torch.exp(-entropy / tau), max=w_max)  # (N,)
    w = torch.where(advantages < 0, boost, torch.ones_like(boost))
    return torch.nan_to_num(w, nan=1.0)


def hard_negative_groups(rewards: torch.Tensor, num_generations: int, threshold: float = 0.0) -> torch.Tensor:
    """bool (n_groups,): True for the all-wrong groups — every scorable (non-NaN) reward ≤ `threshold`, with at
    least one scorable reward (a group of NaN rewards only is not one)."""
    grouped = rewards.view(-1, num_generations)  # (n_groups, G)
    valid = ~torch.isnan(grouped)  # (n_groups, G)
    at_failure = (grouped <= threshold) | ~valid  # (n_groups, G)
    return at_failure.all(dim=1) & valid.any(dim=1)


def hard_negative_rows(rewards: torch.Tensor, num_generations: int, threshold: float = 0.0) -> torch.Tensor:
    """bool (N,): the scorable rows of the all-wrong groups (`hard_negative_groups`), whose advantage the
    hard-negative option sets to −a (instead of GRPO's 0, or being gated away); NaN-reward rows keep advantage 0."""
    hard = hard_negative_groups(rewards, num_generations, threshold).repeat_interleave(num_generations)  # (N,)
    return hard & ~torch.isnan(rewards)


def answer_labels(completion_ids: torch.Tensor, mask: torch.Tensor, answer_ids: torch.Tensor,
                  is_positive: torch.Tensor) -> torch.Tensor:
    """long (B,): the answer of each completion read from its LAST answer token (`answer_positions`) — 1 when that
    token is one of the positive ids (is_positive (K,) over answer_ids (K,)), 0 for a negative one, −1 for none."""
    positions = answer_positions(completion_ids, mask, answer_ids)  # (B,)
    token = completion_ids.gather(1, positions.clamp(min=0).unsqueeze(1)).squeeze(1)  # (B,)
    positive_ids = answer_ids.to(completion_ids.device)[is_positive.to(completion_ids.device)]  # (K_pos,)
    label = torch.isin(token, positive_ids).long()  # (B,)
    return torch.where(positions >= 0, label, torch.full_like(label, -1))


def group_answer_entropy(labels: torch.Tensor, num_generations: int, num_classes: int = 2) -> torch.Tensor:
    """The marginal answer entropy of each group, per row (N,): H_g = −Σ_k s_k ln s_k, where s_k is the share of
    answer k among the group's answered rows (labels (N,) in 0..num_classes−1; −1 = no answer, left out of the
    shares). For yes/no it is the binary entropy of the group's yes share: 0 when the G rollouts agree, ln 2 at a
    50/50 split. Every answered row of the group gets H_g; unanswered rows, and groups without an answer, get NaN."""
    grouped = labels.view(-1, num_generations)  # (n_groups, G)
    onehot = F.one_hot(grouped.clamp(min=0), num_classes) * (grouped >= 0).unsqueeze(-1)  # (n_groups, G, K)
    counts = onehot.sum(dim=1).double()  # (n_groups, K)
    answered = counts.sum(dim=1, keepdim=True)  # (n_groups, 1)
    shares = counts / answered.clamp(min=1)  # (n_groups, K)
    h = -torch.xlogy(shares, shares).sum(dim=1)  # (n_groups,)
    h = torch.where(answered.squeeze(1) > 0, h, torch.full_like(h, float("nan")))
    per_row = h.repeat_interleave(num_generations).float()  # (N,)
    return torch.where(labels >= 0, per_row, torch.full_like(per_row, float("nan")))


def marker_starts(completion_ids: torch.Tensor, mask: torch.Tensor, marker: torch.Tensor) -> torch.Tensor:
    """long (B,): start index of the LAST occurrence of the token sequence `marker` (M,) lying wholly within mask
    (B, T); −1 where it does not occur."""
    B, T = completion_ids.shape
    M = marker.numel()
    if M == 0 or M > T:
        return torch.full((B,), -1, dtype=torch.long, device=completion_ids.device)
    windows = completion_ids.unfold(1, M, 1)  # (B, T−M+1, M)
    inside = mask.bool().unfold(1, M, 1).all(dim=-1)  # (B, T−M+1)
    hit = (windows == marker.to(completion_ids.device)).all(dim=-1) & inside  # (B, T−M+1)
    idx = torch.arange(T - M + 1, device=completion_ids.device).expand_as(hit)  # (B, T−M+1)
    return torch.where(hit, idx, torch.full_like(idx, -1)).max(dim=1).values


def span_mean_entropy(entropies: torch.Tensor, mask: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    """Mean token entropy (B,) over the completion tokens before `starts` (B,) (the answer marker: the CoT's
    perception span), within mask (B, T). NaN where the span is empty: no marker (−1) or the marker first (0)."""
    before = torch.arange(entropies.size(1), device=entropies.device).unsqueeze(0) < starts.unsqueeze(1)  # (B, T)
    return mean_token_entropy(entropies, mask.bool() & before)


def shuffled_among(values: torch.Tensor, mask: torch.Tensor, seed: int) -> torch.Tensor:
    """values (N,) with the entries where mask (N,) is True permuted among themselves by `torch.randperm` on a CPU
    generator seeded with `seed` (the same permutation on every process); the other entries unchanged."""
    idx = mask.nonzero().squeeze(1)  # (n,)
    perm = torch.randperm(idx.numel(), generator=torch.Generator().manual_seed(int(seed))).to(idx.device)  # (n,)
    out = values.clone()
    out[idx] = values[idx[perm]]
    return out
