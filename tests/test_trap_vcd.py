"""`hero trap --decoding vcd` on a tiny model: VCD's contrastive answer distribution (answer and CoT models), the
config, the run identity, and the entropies at VCD's −inf cut-off."""

from __future__ import annotations

import json
import math

import pytest
import torch

from eval_helpers import one_thread, scrambled_model, tiny_world
from hero.scoring import ScoreRequest, core, load_scorer
from hero.trap.decoding import TrapDecoding

_threads = pytest.fixture(scope="module", autouse=True)(one_thread)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vcd")
    world = tiny_world(tmp / "world", n_test=3)
    return world, scrambled_model(tmp / "model", world)


def test_entropies_at_the_cut_off():
    logits = torch.tensor([[0.0, float("-inf"), 0.0]])  # token 1 cut: H = ln 2 over the two left
    assert core.full_entropy(logits).item() == pytest.approx(math.log(2))
    # yes = token 1 (cut), no = token 1 too: no yes/no mass → H_binary = ln 2 (not 0: no evidence either way)
    p_yes, p_no, h_bin, _ = core.answer_distribution(logits, [1], [1])
    assert p_yes.item() == 0 and h_bin.item() == pytest.approx(math.log(2))
    # p_yes 0.2, p_no 0.6 → q = 0.25: H = −0.25 ln 0.25 − 0.75 ln 0.75 = 0.5623351446
    assert core.binary_entropy(torch.tensor([0.2]), torch.tensor([0.6])).item() == pytest.approx(0.5623351446)


def test_decoding_config():
    assert TrapDecoding().scorer_kwargs() == {}
    assert TrapDecoding("vcd", vcd_alpha=0.5).scorer_kwargs() == {
        "vcd": {"vcd_alpha": 0.5, "vcd_beta": 0.1, "vcd_step": 500}}
    for kw, msg in [({"decoding": "dola"}, "plain or vcd"), ({"vcd_beta": 0}, "vcd-beta"),
                    ({"vcd_alpha": -1}, "vcd-alpha"), ({"vcd_step": 1000}, "0..999")]:
        with pytest.raises(ValueError, match=msg):
            TrapDecoding(**kw)


def _requests(world):
    images = sorted((world / "test/images").iterdir())[:2]
    return [ScoreRequest(id=f"q{i}", image=str(p), question="Is there a red circle in the image?", image_id=p.name)
            for i, p in enumerate(images)]


def test_answer_model_scores_the_contrastive_distribution(setup):
    from hero.decoding.vcd import diffusion_noise, vcd_logits
    from hero.seeding import derive_seed

    world, model = setup
    reqs = _requests(world)
    plain = load_scorer(model, mode="answer", seed=3)
    vcd = load_scorer(model, mode="answer", seed=3, vcd_alpha=1.0, vcd_beta=0.1, vcd_step=500)
    got = vcd.score(reqs, temperature=1.0).samples
    # by hand: clean and distorted logits at the answer position, contrasted, then read at T = 1
    good, images, _ = plain.load_images(reqs)
    enc = plain.encode([r.question for r in good], images)
    clean = plain._last_logits(enc["input_ids"], enc["attention_mask"], {"pixel_values": enc["pixel_values"]})
    noisy = torch.cat([diffusion_noise(enc["pixel_values"][b: b + 1].float(), 500,
                                       torch.Generator().manual_seed(derive_seed(3, "vcd", r.id)))
                       for b, r in enumerate(good)])
    distorted = plain._last_logits(enc["input_ids"], enc["attention_mask"], {"pixel_values": noisy})
    p_yes, p_no, h_bin, h_full = core.answer_distribution(vcd_logits(clean, distorted, 1.0, 0.1), plain.yes_ids,
                                                          plain.no_ids, 1.0)
    assert [g["p_yes"] for g in got] == pytest.approx(p_yes.tolist(), abs=1e-6)
    assert [g["entropy_full"] for g in got] == pytest.approx(h_full.tolist(), abs=1e-5)
    assert all(math.isfinite(g["entropy_full"]) and math.isfinite(g["entropy_binary"]) for g in got)
    assert got != plain.score(reqs, temperature=1.0).samples
    # α = 0 with a cut-off that removes nothing is plain decoding
    same = load_scorer(model, mode="answer", seed=3, vcd_alpha=0.0, vcd_beta=1e-30).score(reqs, temperature=1.0)
    assert [s["p_yes"] for s in same.samples] == pytest.approx([s["p_yes"] for s in
                                                                plain.score(reqs, temperature=1.0).samples])
    # a question's VCD noise does not depend on its batch
    one = [vcd.score([r], temperature=1.0).samples[0]["p_yes"] for r in reqs]
    assert one == pytest.approx([g["p_yes"] for g in got], abs=1e-6)


def test_cot_model_generates_and_scores_with_vcd(setup):
    world, model = setup
    reqs = _requests(world)
    plain = load_scorer(model, mode="cot", seed=3, max_new_tokens=6).score(reqs, temperature=1.0).samples
    vcd = load_scorer(model, mode="cot", seed=3, max_new_tokens=6, vcd_alpha=1.0).score(reqs, temperature=1.0).samples
    assert len(vcd) == 2 and all(math.isfinite(s["entropy_full"]) for s in vcd)
    assert [s["p_yes"] for s in vcd] != [s["p_yes"] for s in plain]


def test_cli_vcd_row_and_its_identity(setup, tmp_path):
    from typer.testing import CliRunner

    from hero.cli.main import app

    world, model = setup

    def trap(out: str, *extra: str):
        return CliRunner().invoke(app, [
            "trap", "--model", str(model), "--questions", str(world / "test/pope/world_test_pope_adversarial.json"),
            "--images", str(world / "test/images"), "--out", str(tmp_path / out), "--noise", "0", "--seed", "3",
            "--n-boot", "20", "--no-progress", *extra])

    res = trap("v", "--decoding", "vcd", "--vcd-alpha", "0.5")
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "v" / "summary.json").read_text())
    assert summary["run"]["scorer"]["decoding"] == {"kind": "vcd", "vcd_alpha": 0.5, "vcd_beta": 0.1, "vcd_step": 500}
    assert summary["groups"][0]["by_prior"]["none"]["n"] < summary["groups"][0]["n"]  # world questions are tagged
    res = trap("v")  # plain decoding into the VCD run's folder
    assert res.exit_code == 2 and "different scorer settings" in res.output, res.output
    assert trap("p").exit_code == 0
    assert "decoding" not in json.loads((tmp_path / "p" / "manifest.json").read_text())["scorer"]
