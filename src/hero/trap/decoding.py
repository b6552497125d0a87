"""How `hero trap` decodes the answer distribution it scores (`--decoding`): plain, or VCD's contrastive one.

* ``plain`` (default): p_yes / p_no / entropies from softmax(logits / T) at the answer position (hero.scoring).
* ``vcd``: Visual Contrastive Decoding (hero.decoding.vcd, the settings of `hero eval --decoding vcd`): the logits at
  the answer position are contrasted with those on a diffusion-noised copy of the image, (1 + α)·ℓ(v) − α·ℓ(v'),
  tokens below β·max p(y|v) cut to −inf, and p_yes / p_no / entropies are read from softmax(contrast / T). Answer
  models: the answer token is drawn (T > 0) or taken (argmax) from that distribution. CoT models: the reasoning is
  generated with VCD at every step (VCDLogitsProcessor), and the answer position after 'Answer:' is scored with the
  contrast too. The noise of v' is seeded by (--seed, question id). If the cut-off removes both yes and no, the
  answer is unparseable with p_yes = p_no = 0 and the binary entropy ln 2.
The VCD settings enter the scorer settings, so they are part of the run identity; plain runs keep their old identity.
"""

from __future__ import annotations

from dataclasses import dataclass

TRAP_DECODINGS = ("plain", "vcd")


@dataclass
class TrapDecoding:
    """The decoding of `hero trap`'s answer distribution."""

    decoding: str = "plain"
    """plain (the model's own answer distribution) or vcd (VCD's contrastive answer distribution,
    hero.trap.decoding); part of the run identity."""
    vcd_alpha: float = 1.0
    """VCD contrast strength α (≥ 0); only with --decoding vcd."""
    vcd_beta: float = 0.1
    """VCD plausibility cut-off β in (0, 1]: keep tokens with p(y|v,x) ≥ β·max p; only with --decoding vcd."""
    vcd_step: int = 500
    """VCD diffusion noise step t in 0..999 of the official 1000-step schedule; only with --decoding vcd."""

    def __post_init__(self) -> None:
        if self.decoding not in TRAP_DECODINGS:
            raise ValueError(f"unknown --decoding {self.decoding!r}; use {' or '.join(TRAP_DECODINGS)}")
        if self.vcd_alpha < 0 or not 0 < self.vcd_beta <= 1:
            raise ValueError(f"VCD needs --vcd-alpha ≥ 0 and 0 < --vcd-beta ≤ 1, got {self.vcd_alpha}, "
                             f"{self.vcd_beta}")
        if not 0 <= self.vcd_step < 1000:
            raise ValueError(f"--vcd-step {self.vcd_step} must be in 0..999 (1000-step diffusion schedule)")

    def scorer_kwargs(self) -> dict:
        """Keyword arguments of hero.scoring.make_trap_scorer: {} for plain, {"vcd": {...}} for VCD."""
        if self.decoding == "plain":
            return {}
        return {"vcd": {"vcd_alpha": float(self.vcd_alpha), "vcd_beta": float(self.vcd_beta),
                        "vcd_step": int(self.vcd_step)}}
