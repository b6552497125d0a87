"""The demo's paired comparisons: HERO against GRPO, CoT-SFT and DPO on the same trap questions.

Which questions are paired: the test split's adversarial POPE trap questions at σ = 50, T = 1 (the same noisy image
for every model of a seed: `hero trap` degrades deterministically in (seed, image, σ)), matched by question id.
The trap-bin comparison (`hero.trap.paired.paired_bin_comparison`): diff / ci = each model's accuracy in its own
confident bin (answer entropy ≤ the trap threshold, 0.3 nats) minus the other's, with a paired bootstrap CI;
p_mcnemar on the questions on which BOTH are confident ("intersection"); "all" = every question. Several seeds pool their (distinct) questions; the bootstrap resamples
questions, so the pooled CI holds the question-sampling noise, not the training-run noise — the per-seed
comparisons show that spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hero.degrade import pixel_sigma
from hero.io import read_json
from hero.trap.paired import paired_bin_comparison
from hero.trap.runfolder import read_samples
from hero.trap.summary import row_degrade

PAIRS = (("HERO vs GRPO", "hero", "grpo"), ("HERO vs SFT (CoT)", "hero", "sft_cot"), ("HERO vs DPO", "hero", "dpo"))
"""(results.json key, model stage A, model stage B): diff = acc(A) − acc(B)."""


def all_pairs(models) -> list[tuple[str, str, str]]:
    """PAIRS, then "HERO vs <ablation>" for each ablation stage among `models` (diff = HERO − ablation: > 0 when
    the mechanism the ablation removes helps): all_pairs({"hero", "grpo", "hero_no_gate"}) = [*PAIRS,
    ("HERO vs hero_no_gate", "hero", "hero_no_gate")]."""
    from hero.demo.config import ABLATIONS

    return [*PAIRS, *((f"HERO vs {a}", "hero", a) for a in ABLATIONS if a in models)]
SIGMA, TEMPERATURE = 50.0, 1.0

Answers = dict[str, tuple[bool, float]]  # question id → (correct, answer entropy)


def trap_answers(run_dir: str | Path, sigma: float = SIGMA, temperature: float = TEMPERATURE) -> tuple[Answers, float]:
    """A hero trap run folder → ({question id: (correct, entropy)} at level σ of its σ op (noise or grain:
    hero.degrade.pixel_sigma) and temperature T, trap threshold); the entropy is the one the run's summary scored its
    trap bin with. ValueError when the run holds two σ ops at that σ (which one to pair would be a guess)."""
    summary = read_json(Path(run_dir) / "summary.json")
    field = summary["entropy_field"]
    rows = [(spec, r) for r in read_samples(Path(run_dir) / "samples.jsonl") if float(r["temperature"]) == temperature
            and pixel_sigma(spec := row_degrade(r)) == sigma]
    specs = sorted({spec for spec, _ in rows})
    if len(specs) > 1:
        raise ValueError(f"{run_dir}: {' and '.join(specs)} both have σ = {sigma:g}; pair a run with one σ op")
    answers = {str(r["id"]): (bool(r["correct"]), float(r[field])) for _, r in rows}
    return answers, float(summary["trap_threshold"])


def seed_answers(results: dict[str, dict]) -> dict[str, tuple[Answers, float]]:
    """{model stage: trap_answers} of one seed's demo stage results, for the models of all_pairs that were
    trapped."""
    names = {n for _, a, b in all_pairs({k.removeprefix("trap_") for k in results}) for n in (a, b)}
    return {n: trap_answers(Path(results[f"trap_{n}"]["summary"]).parent) for n in sorted(names)
            if results.get(f"trap_{n}")}


def paired(seeds: Sequence[dict[str, tuple[Answers, float]]], seed: int = 0) -> dict[str, dict]:
    """{pair key: paired_bin_comparison(A, B)} over the questions both models answered, pooled over `seeds` (one
    seed_answers per seed; a question is (seed, id)). Pairs with a model missing in any seed are left out."""
    out = {}
    for key, a, b in all_pairs({m for s in seeds for m in s}):
        if not all(a in s and b in s for s in seeds) or not seeds:
            continue
        thresholds = {s[m][1] for s in seeds for m in (a, b)}
        if len(thresholds) > 1:
            raise ValueError(f"{key}: the trap runs used different trap thresholds {sorted(thresholds)}")
        cols: tuple[list, list, list, list] = ([], [], [], [])
        for s in seeds:
            (ans_a, _), (ans_b, _) = s[a], s[b]
            for q in ans_a:
                if q in ans_b:
                    for col, v in zip(cols, (*ans_a[q], *ans_b[q])):
                        col.append(v)
        a_ok, a_h, b_ok, b_h = cols
        out[key] = paired_bin_comparison(a_ok, a_h, b_ok, b_h, thresholds.pop(), seed=seed)
    return out


def paired_section(paired_res: dict[str, dict], title: str) -> list:
    """Report sections: one table row per pair (own-bin difference, both-confident McNemar, then all questions)."""
    from hero.display import number

    def ci(r):
        return "—" if r["ci"] is None else f"[{number(r['ci'][0])}, {number(r['ci'][1])}]"

    rows = [[k, f"{r['n_bin_a']} / {r['n_bin_b']}", number(r["diff"]), ci(r), str(r["n"]),
             number(r["intersection"]["diff"]), number(r["p_mcnemar"]), f"{r['a_only']} / {r['b_only']}",
             number(r["all"]["diff"]), ci(r["all"]), number(r["all"]["p_mcnemar"])] for k, r in paired_res.items()]
    if not rows:
        return []
    return [("h2", title),
            ("p", f"A vs B on the same trap questions at σ = {SIGMA:g}, T = {TEMPERATURE:g}. diff = accuracy of A in "
                  "its own trap bin (entropy ≤ 0.3 nats) − accuracy of B in its own, with a paired bootstrap 95 % CI "
                  "(questions resampled jointly, both bins recomputed). McNemar (exact) on the questions both are "
                  "confident on (n both; their accuracy difference beside it); 'only A / only B' = those of them "
                  "only A / only B got right. 'all' = every question, no entropy selection."),
            ("table", ["A vs B", "bin size A / B", "diff (own bins)", "95 % CI", "n both confident", "diff (both)",
                       "p (McNemar, both)", "only A / only B", "diff all", "95 % CI all", "p all"], rows)]
