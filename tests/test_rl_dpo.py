"""DPO baseline: pairs from hand-made completions (pure), the sampler's shape and determinism, and 2 DPOTrainer
steps on the tiny VLM."""

import json

import pytest

from hero.rl.dpo import build_pairs
from rl_helpers import FAST, world_and_model

DPO_FAST = {k: v for k, v in FAST.items() if k not in ("num_generations", "max_completion_length")}


def test_build_pairs_from_hand_made_completions():
    completions = [
        ["I see a red circle. Answer: yes.", "I see nothing. Answer: no.", "Answer: yes.", "blah"],  # label yes
        ["Answer: no.", "Answer: no."],  # label no: all right → no pair
        ["Answer: yes.", "garbage"],  # label no: all wrong (unparseable counts as wrong) → no pair
        ["Answer: no.", "Answer: yes.", "Answer: no.", "no", "Answer: yes."],  # label no
    ]
    labels = ["yes", "no", "no", "no"]
    assert build_pairs(completions, labels) == [
        {"index": 0, "chosen": "I see a red circle. Answer: yes.", "rejected": "I see nothing. Answer: no."},
        {"index": 3, "chosen": "Answer: no.", "rejected": "Answer: yes."},
    ]
    # up to 2 pairs: right and wrong matched in order, duplicates dropped (prompt 3: right "Answer: no.", "no")
    assert build_pairs(completions, labels, max_pairs=2) == [
        {"index": 0, "chosen": "I see a red circle. Answer: yes.", "rejected": "I see nothing. Answer: no."},
        {"index": 0, "chosen": "Answer: yes.", "rejected": "blah"},
        {"index": 3, "chosen": "Answer: no.", "rejected": "Answer: yes."},
    ]
    with pytest.raises(ValueError, match="not yes/no"):
        build_pairs([["x"]], ["maybe"])


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    return world_and_model(tmp_path_factory.mktemp("dpo"))


def test_sampler_gives_k_texts_per_prompt_deterministically(setup, tmp_path):
    import time

    from hero.rl.dpo import sample_completions
    from hero.rl.run_parts import load_start_model, prompt_rows
    from hero.rl.settings import RLRunConfig

    world, model = setup
    run = RLRunConfig("dpo", str(model), str(world), str(tmp_path), dpo_samples=3, dpo_max_new_tokens=6)
    m, p, _ = load_start_model(run)
    rows = prompt_rows(run)[:5]
    far = time.perf_counter() + 600
    a = sample_completions(m, p, rows, run, far, batch_size=6)  # 2 prompts × 3 samples per generate call
    assert [len(x) for x in a] == [3] * 5 and all(isinstance(t, str) for x in a for t in x)
    assert sample_completions(m, p, rows, run, far, batch_size=6) == a
    assert sample_completions(m, p, rows, run, time.perf_counter() - 1) == []  # deadline passed: nothing sampled


def test_dpo_trains_two_steps_on_pairs_and_resumes_without_resampling(setup, tmp_path, monkeypatch):
    import hero.rl.dpo as dpo
    from hero.model.load import load_vlm
    from hero.rl.pipeline import run_rl

    calls = []

    def fake_sampler(model, processor, rows, run, deadline, batch_size=64):
        calls.append(len(rows))
        return [["I see a red circle. Answer: yes.", "I see nothing. Answer: no."] for _ in rows]

    monkeypatch.setattr(dpo, "sample_completions", fake_sampler)
    world, model = setup
    out = tmp_path / "dpo"
    res = run_rl("dpo", model, world, out, max_steps=2, save_steps=2, dpo_prompts=12, **DPO_FAST)
    assert calls == [12] and res["pairs"] == 12 and res["prompts_sampled"] == 12 and res["steps"] == 2
    lines = [json.loads(x) for x in (out / "dpo_pairs.jsonl").read_text().splitlines()]
    assert lines[0]["meta"]["prompts_sampled"] == 12
    for r in lines[1:]:  # chosen is the completion whose answer matches the label
        assert r["chosen"].endswith("yes.") == (r["answer"] == "yes") and r["rejected"] != r["chosen"]
    logs = json.loads((out / "log_history.json").read_text())
    assert [h["step"] for h in logs if "rewards/margins" in h] == [1, 2] and res["beta"] == 0.1
    assert load_vlm(out)[0].config.hero_style == "cot"
    again = run_rl("dpo", model, world, out, max_steps=3, resume=True, dpo_prompts=12, **DPO_FAST)
    assert calls == [12] and again["steps"] == 3  # the saved pairs were reused


def test_dpo_without_pairs_says_how_to_fix(setup, tmp_path, monkeypatch):
    import hero.rl.dpo as dpo
    from hero.rl.pipeline import run_rl

    monkeypatch.setattr(dpo, "sample_completions", lambda m, p, rows, run, deadline, batch_size=64:
                        [["garbage", "more garbage"] for _ in rows])
    world, model = setup
    with pytest.raises(ValueError, match="no prompt among the 4 sampled had both a right and a wrong"):
        run_rl("dpo", model, world, tmp_path / "none", dpo_prompts=4, **DPO_FAST)
