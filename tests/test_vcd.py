"""VCD pure functions against hand-computed values and the official schedule."""

from __future__ import annotations

import math

import pytest
import torch

from hero.decoding.vcd import alpha_bar, diffusion_noise, vcd_logits


def test_vcd_logits_worked_example():
    clean = torch.tensor([[2.0, 1.0, -1.0]])
    distorted = torch.tensor([[2.0, -1.0, -1.0]])
    # contrast = 2·[2,1,-1] − [2,-1,-1] = [2, 3, -1]; cutoff = ln(0.1) + 2 = -0.3026 → token 2 (clean -1) masked
    out = vcd_logits(clean, distorted, alpha=1.0, beta=0.1)
    assert out[0, :2].tolist() == [2.0, 3.0] and out[0, 2].item() == float("-inf")
    # α = 0 gives the clean logits back wherever they pass the cut-off
    assert vcd_logits(clean, distorted, alpha=0.0, beta=0.1)[0, :2].tolist() == [2.0, 1.0]
    with pytest.raises(ValueError):
        vcd_logits(clean, distorted, beta=0.0)


def test_alpha_bar_schedule_endpoints():
    # β_0 = sigmoid(-6)·(5e-3 − 1e-5) + 1e-5 = 0.0024726·0.00499 + 1e-5 = 2.2338e-5 → ᾱ_0 = 1 − β_0
    b0 = 1 / (1 + math.exp(6)) * (0.5e-2 - 1e-5) + 1e-5
    assert alpha_bar(0) == pytest.approx(1 - b0, rel=1e-6)
    assert 0 < alpha_bar(999) < alpha_bar(500) < alpha_bar(0) < 1
    with pytest.raises(ValueError):
        alpha_bar(1000)


def test_diffusion_noise_moments():
    x = torch.full((200_000,), 2.0)
    g = torch.Generator().manual_seed(0)
    y = diffusion_noise(x, t=500, generator=g)
    a = alpha_bar(500)
    assert y.mean().item() == pytest.approx(2 * math.sqrt(a), abs=0.01)
    assert y.std().item() == pytest.approx(math.sqrt(1 - a), rel=0.01)


def test_processor_distorted_branch_matches_full_forward_each_step():
    """The KV-cached distorted branch gives the same logits as a full forward on the distorted image at every step
    (left-padded batch of two prompts of different lengths)."""
    from PIL import Image

    import hero.decoding.vcd as V
    from hero.model.build import build_model

    m, p = build_model("tiny", ["red", "blue"], ["circle", "square"], 64, seed=0)
    m.eval()
    msgs = [[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": q}]}]
            for q in ("Is there a red circle in the image?", "Is there a blue square in the image? Is there")]
    p.tokenizer.padding_side = "left"
    enc = p(text=[p.apply_chat_template(x, add_generation_prompt=True) for x in msgs],
            images=[Image.new("RGB", (64, 64), (200, 30, 30)), Image.new("RGB", (64, 64), (30, 30, 200))],
            return_tensors="pt", padding=True)
    noisy = enc["pixel_values"] + 0.5
    seen, dist = [], []

    class Spy(V.VCDLogitsProcessor):
        def __call__(self, ids, scores):
            out = super().__call__(ids, scores)
            seen.append((ids.clone(), self.mask.clone()))
            return out

    orig = V.vcd_logits
    V.vcd_logits = lambda c, d, a, b: (dist.append(d.clone()), orig(c, d, a, b))[1]
    try:
        with torch.inference_mode():
            m.generate(**enc, max_new_tokens=4, do_sample=False, pad_token_id=p.tokenizer.pad_token_id,
                       logits_processor=[Spy(m, enc["input_ids"], enc["attention_mask"], {"pixel_values": noisy})])
    finally:
        V.vcd_logits = orig
    assert len(seen) == 4
    for (ids, mask), d in zip(seen, dist):
        pos = (mask.long().cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            ref = m(input_ids=ids, attention_mask=mask, pixel_values=noisy, position_ids=pos).logits[:, -1]
        assert torch.allclose(ref, d, atol=1e-4)
