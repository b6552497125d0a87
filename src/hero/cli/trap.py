"""`hero trap` — diagnose the Confidence Trap; `hero trap compare` — several runs side by side.

    hero trap --model DIR --questions POPE.json --images DIR --out RUN [--noise 0,30,50] [--degrade blur:1.5 ...]
              [--temperatures 1.0] [--entropy binary|full|semantic]
              [--confidence conditional|marginal|semantic] [--confidence-samples 8] [--nli-model NLI_DIR]
    hero trap compare RUN1 RUN2 ... --out DIR [--names SFT,GRPO,...]
    hero trap tempscale --fit VAL_RUN --apply TEST_RUN --out DIR [--temperature 1.0]

Options are the fields of `hero.trap.run.TrapConfig` and `hero.trap.compare.CompareConfig` (both nest the summary
settings, `hero.trap.summary.SummarySettings`). The model scorer (`hero.scoring.make_trap_scorer`) and the heavy
libraries are imported inside the commands.
"""

from __future__ import annotations

import typer

from hero import options
from hero.display import number
from hero.trap.compare import CompareConfig
from hero.trap.run import TrapConfig
from hero.trap.tsrun import TempScaleConfig

app = options.group(
    help="Diagnose the Confidence Trap: answer entropy vs accuracy under image degradations (noise, blur, ...), "
         "calibration, report. `hero trap compare` puts runs side by side.",
    invoke_without_command=True,
)


def _ci(v, ci) -> str:
    """'0.512 [0.480, 0.545]' (numbers as hero.display.number prints them)."""
    return number(v) + ("" if v is None or ci is None else f" [{number(ci[0])}, {number(ci[1])}]")


def _print_result(res) -> None:
    s = res.summary
    c = s["confidence"]
    kind = c["kind"] + (f" (k = {c['samples']} sampled CoTs per question)" if c["samples"] else "")
    typer.echo(f"scored {res.n_new} new samples, {res.n_skipped} already done; entropy: {s['entropy_kind']} (nats); "
               f"confidence: {kind}")
    if c["note"]:
        typer.echo(f"  note: {c['note']}")
    for g in s["groups"]:
        typer.echo(f"  {g['key']:<28} n={g['n']:<5} acc={_ci(g['accuracy'], g['accuracy_ci'])}  "
                   f"mean H={number(g['mean_entropy'])}  trap acc={number(g['trap']['accuracy'])} "
                   f"(share {number(g['trap']['share'])})  ECE={number(g['calibration']['ece'])}  "
                   f"AUROC={number(g['calibration']['auroc'])}")
    pq = s.get("prior_questions") or {}
    if (pq.get("counts") or {}).get("consistent") or (pq.get("counts") or {}).get("violating"):
        c = pq["counts"]
        typer.echo(f"  prior tags{' (prior-balanced set)' if pq['balanced'] else ''}: {c['consistent']} consistent, "
                   f"{c['violating']} violating, {c['none']} none questions")
        for g in s["groups"]:
            typer.echo(f"  {g['key']:<28} " + "  ".join(
                f"{t}: acc={number(r['accuracy'])} confident share={number(r['trap']['share'])} "
                f"acc={number(r['trap']['accuracy'])}" for t, r in g["by_prior"].items() if t != "none"))
    for tr in s["trend"]:
        typer.echo(f"  trend T={tr['temperature']:g} {tr['op']}: mean-entropy slope "
                   f"{number(tr['entropy_slope'])} nats/level, accuracy slope {number(tr['accuracy_slope'])} /level")
    for name, path in res.files.items():
        typer.echo(f"  {name}: {path}")
    if res.missing:
        typer.echo(f"{len(res.missing)} question(s) skipped because their image is missing (excluded from every "
                   f"metric, counted in summary.json):", err=True)
        for q in res.missing:
            typer.echo(f"  id {q['id']}: {q['image_path']}", err=True)


def _trap(settings: options.Settings) -> None:
    from hero.scoring import make_trap_scorer
    from hero.threads import torch_threads
    import torch

    from hero.distributed import ranks
    from hero.hardware import pick_device
    from hero.trap.run import preflight, run_trap
    from hero.trap.sharded import run_trap_sharded

    cfg = options.build(TrapConfig, settings, command="trap")
    loaded = preflight(cfg)  # bad input fails before the model loads; the questions are read once
    r = ranks()  # under torchrun / accelerate launch: each process scores its share (hero.trap.sharded)
    with torch_threads(cfg.threads):
        device = pick_device(cfg.device, torch.cuda.is_available(), r.local_rank, r.world)
        score_fn = make_trap_scorer(cfg.model, seed=cfg.seed, batch_size=cfg.batch_size, device=device,
                                    **cfg.answer_decoding.scorer_kwargs())
        entail = _nli_judge(cfg, score_fn, device)
        res = run_trap(cfg, score_fn, progress=cfg.progress, loaded=loaded, entail=entail) if r.world == 1 else \
            run_trap_sharded(cfg, score_fn, r, progress=cfg.progress, loaded=loaded, entail=entail)
    if res.summary is not None:  # rank 0 prints the merged run
        _print_result(res)


def _nli_judge(cfg: TrapConfig, score_fn, device: str):
    """--confidence semantic of a CoT model: the entailment judge `entail(premises, hypotheses) -> bools` of
    hero.trap.semantic, the --nli-model classifier (hero.rewards.nli.NLIReward) on `device`, argmax rule; pairs
    longer than min(512, the tokenizer's limit) tokens are truncated. None otherwise (nothing to judge)."""
    from hero.trap.confidence import answer_only
    from hero.trap.semantic import entailed

    if cfg.confidence != "semantic" or answer_only(score_fn):
        return None
    from hero.rewards.nli import NLIReward

    nli = NLIReward.from_pretrained(cfg.nli_model)
    nli.model.to(device)
    nli.max_length = min(512, int(nli.tokenizer.model_max_length))
    return lambda premises, hypotheses: entailed(nli.probabilities(premises, hypotheses), nli.ent)


def _compare(settings: options.Settings) -> None:
    from hero.trap.compare import compare_runs

    cfg = options.build(CompareConfig, settings, command="trap compare")
    files = compare_runs(cfg.runs, cfg.out, cfg.names or None, **cfg.summary.kwargs(cfg.seed))
    for name, path in files.items():
        typer.echo(f"{name}: {path}")


def _tempscale(settings: options.Settings) -> None:
    from hero.trap.tsrun import TempScaleConfig, run_tempscale

    cfg = options.build(TempScaleConfig, settings, command="trap tempscale")
    summary, files = run_tempscale(cfg)
    ts = summary["tempscale"]
    typer.echo(f"T = {ts['temperature']:.4f} fitted on {ts['fit_samples']} samples of {cfg.fit} (NLL "
               f"{number(ts['fit_nll_before'])} at T = 1 → {number(ts['fit_nll_after'])}), applied to {cfg.apply}")
    for g in summary["groups"]:
        typer.echo(f"  {g['key']:<28} n={g['n']:<5} acc={_ci(g['accuracy'], g['accuracy_ci'])}  "
                   f"trap acc={number(g['trap']['accuracy'])} (share {number(g['trap']['share'])})  "
                   f"ECE={number(g['calibration']['ece'])}")
    for name, path in files.items():
        typer.echo(f"  {name}: {path}")


options.command(app, None, options.options_of(TrapConfig), _trap,
                "Score a model on POPE questions under image degradations and write samples.jsonl, summary.json "
                "and the report (rerunning with the same --out resumes).", callback=True)
options.command(app, "compare", options.options_of(CompareConfig), _compare,
                "Compare several `hero trap` runs: the same tables and plots side by side, one summary setting for "
                "all.")
options.command(app, "tempscale", options.options_of(TempScaleConfig), _tempscale,
                "Temperature scaling as a trap row: fit T on a validation `hero trap` run (--fit), apply it to a test "
                "run (--apply), write a run folder (--out) that `hero trap compare` reads; T is in its summary.json.")
