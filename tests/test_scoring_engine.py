"""Batched scoring equals one-at-a-time scoring; bad inputs give clear, complete errors."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from hero.io import InputError
from hero.model.build import build_model, save
from hero.scoring import ScoreRequest, Scorer, ScoringConfig, load_scorer, make_trap_scorer

COLOURS, SHAPES = ["red", "green", "blue"], ["circle", "square"]
FIELDS = ("id", "answer", "p_yes", "p_no", "entropy_binary", "entropy_full", "reasoning", "parse_status")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("scoring_model")
    torch.manual_seed(0)
    model, processor = build_model("tiny", COLOURS, SHAPES, 32, seed=1)
    save(model, processor, out)
    return out


def _requests(n=6):
    rng = np.random.default_rng(0)
    texts = ["Is there a red circle in the image?", "Describe this image.", "Is there a blue square?",
             "Is there a green circle in the image? Answer:", "red", "Is there a red square in the image?"]
    return [ScoreRequest(id=f"q{i}", image=Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)),
                         question=texts[i % len(texts)]) for i in range(n)]


@pytest.mark.parametrize("mode,temperature", [("answer", 0.0), ("answer", 1.0), ("cot", 0.0)])
def test_batched_equals_single(model_dir, mode, temperature):
    from hero.model.load import load_vlm

    model, processor = load_vlm(model_dir)
    reqs = _requests()
    batched = Scorer(model, processor, ScoringConfig(mode=mode, temperature=temperature, batch_size=6,
                                                      max_new_tokens=12)).score(reqs).samples
    single = Scorer(model, processor, ScoringConfig(mode=mode, temperature=temperature, batch_size=1,
                                                     max_new_tokens=12)).score(reqs).samples
    assert [s["id"] for s in batched] == [r.id for r in reqs]
    for b, s in zip(batched, single):
        assert set(b) == set(FIELDS)
        for k in ("p_yes", "p_no", "entropy_binary", "entropy_full"):
            assert b[k] == pytest.approx(s[k], abs=1e-5), (b["id"], k)
        assert (b["answer"], b["reasoning"], b["parse_status"]) == (s["answer"], s["reasoning"], s["parse_status"])
        assert (b["answer"] == "") == (b["parse_status"] == "unparseable")


def test_contract_values(model_dir):
    run = load_scorer(model_dir, mode="answer").score(_requests(3))
    for s in run.samples:
        assert 0 <= s["p_yes"] <= 1 and 0 <= s["p_no"] <= 1 and s["reasoning"] is None
        assert 0 <= s["entropy_binary"] <= np.log(2) + 1e-6 and s["entropy_full"] >= 0


def test_cot_unparseable_is_counted_not_dropped(model_dir):
    # an untrained model never says "Answer:": every sample comes back, unparseable, with finite numbers
    run = load_scorer(model_dir, mode="cot", max_new_tokens=6).score(_requests(4))
    assert len(run.samples) == 4 and run.n_unparseable == 4
    assert all(s["answer"] == "" and np.isfinite(s["p_yes"]) and isinstance(s["reasoning"], str)
               for s in run.samples)


def test_bad_images_reported_together(model_dir, tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (32, 32), (10, 20, 30)).save(good)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not a png")
    reqs = [ScoreRequest("a", str(good), "Is there a red circle in the image?"),
            ScoreRequest("b", str(tmp_path / "missing.png"), "Is there a red circle in the image?"),
            ScoreRequest("c", str(corrupt), "Is there a red circle in the image?"),
            ScoreRequest("d", str(good), "Is there a blue square in the image?")]
    run = load_scorer(model_dir).score(reqs)
    assert [s["id"] for s in run.samples] == ["a", "d"]
    assert [(e["id"], e["file"].split("/")[-1]) for e in run.errors] == [("b", "missing.png"), ("c", "corrupt.png")]


def test_trap_scorer_contract_and_errors(model_dir, tmp_path):
    img = tmp_path / "x.png"
    Image.new("RGB", (32, 32), (200, 40, 40)).save(img)
    fn = make_trap_scorer(model_dir, seed=0, batch_size=4)
    batch = [{"id": "1", "image": "x.png", "image_path": str(img), "text": "Is there a red circle in the image?"}]
    out = fn(batch, "noise:30", 1.0)
    assert out[0]["id"] == "1" and set(out[0]) == set(FIELDS)
    json.dumps(fn.settings)
    with pytest.raises(ValueError, match=r"nope\.png \(question 2\)"):
        fn([{"id": "2", "image": "nope.png", "image_path": str(tmp_path / "nope.png"), "text": "x"}], "none", 1.0)


def test_noise_changes_scores_deterministically(model_dir):
    reqs = _requests(2)
    a = load_scorer(model_dir, degrade="noise:50", seed=3).score(reqs).samples
    b = load_scorer(model_dir, degrade="noise:50", seed=3).score(reqs).samples
    c = load_scorer(model_dir).score(reqs).samples
    assert a == b and a != c


def test_degrade_and_temperature_are_per_call_and_never_mutate_the_config(model_dir):
    reqs = _requests(3)
    scorer = load_scorer(model_dir, seed=3)
    before = dict(vars(scorer.cfg))
    per_call = scorer.score(reqs, degrade="noise:50", temperature=2.0).samples
    assert vars(scorer.cfg) == before
    fixed = load_scorer(model_dir, degrade="noise:50", temperature=2.0, seed=3).score(reqs).samples
    assert per_call == fixed and scorer.score(reqs).samples == load_scorer(model_dir, seed=3).score(reqs).samples


def test_probabilities_are_read_at_the_temperature(model_dir):
    reqs = _requests(2)
    scorer = load_scorer(model_dir, seed=0)
    at1 = scorer.score(reqs, temperature=1.0).samples
    at2 = scorer.score(reqs, temperature=2.0).samples
    enc = scorer.encode([r.question for r in reqs], [r.image for r in reqs])
    logits = scorer._last_logits(enc["input_ids"], enc["attention_mask"], enc["pixel_values"])  # (B, V)
    p_yes2 = torch.softmax(logits / 2, -1)[:, scorer.yes_ids].sum(-1)  # (B,)
    assert [s["p_yes"] for s in at2] == pytest.approx(p_yes2.tolist(), rel=1e-5)
    assert [s["p_yes"] for s in at1] != pytest.approx([s["p_yes"] for s in at2], rel=1e-3)


def test_an_op_registered_in_a_test_runs_through_the_real_scorer(model_dir, invert_op):
    reqs = _requests(2)
    inverted = [ScoreRequest(r.id, Image.fromarray(255 - np.asarray(r.image)), r.question) for r in reqs]
    scorer = load_scorer(model_dir)
    assert scorer.score(reqs, degrade="invert:1").samples == scorer.score(inverted).samples


def test_missing_chat_template_and_processor(model_dir, tmp_path):
    import shutil

    broken = tmp_path / "no_template"
    shutil.copytree(model_dir, broken)
    (broken / "chat_template.jinja").unlink()
    for f in ("tokenizer_config.json", "processor_config.json"):
        d = json.loads((broken / f).read_text())
        d.pop("chat_template", None)
        (broken / f).write_text(json.dumps(d))
    with pytest.raises(InputError, match="chat template"):
        load_scorer(broken)
    no_proc = tmp_path / "no_processor"
    no_proc.mkdir()
    shutil.copy(model_dir / "config.json", no_proc / "config.json")
    with pytest.raises(InputError, match="processor"):
        load_scorer(no_proc)


def test_text_only_model_rejected(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from hero.model.build import build_processor

    m = LlamaForCausalLM(LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                     num_attention_heads=2, num_key_value_heads=2))
    m.save_pretrained(tmp_path)
    build_processor(["yes", "no"], 32, 8).save_pretrained(tmp_path)
    with pytest.raises(InputError, match="not an image-text-to-text model"):
        load_scorer(tmp_path)
