"""`hero trap` — diagnose the Confidence Trap; `hero trap compare` — several runs side by side.

    hero trap --model DIR --questions POPE.json --images DIR [--noise 0,30,50] [--degrade blur:1 ...] [--temperatures 1.0]
              [--entropy binary|full] --out RUN
    hero trap compare RUN1 RUN2 ... --out DIR [--names SFT,GRPO,...]

The model scorer (`hero.scoring.make_trap_scorer`) and the heavy libraries are imported inside the commands.
"""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from hero.cli.common import fail_on_input_errors

app = typer.Typer(
    help="Diagnose the Confidence Trap: answer entropy vs accuracy under image noise, calibration, report.",
    invoke_without_command=True,
    no_args_is_help=True,
)

SCORER = "hero.scoring.make_trap_scorer"
EDGES_HELP = "Entropy-bin edges in nats, comma-separated (default 0,0.1,0.2,0.3,0.4,0.5,0.6,ln 2)."


def _load_scorer_factory():
    """The model scorer factory, or a clear error when hero.scoring does not provide it (yet)."""
    try:
        from hero.scoring import make_trap_scorer
    except ImportError as e:
        typer.echo(f"error: the model scorer {SCORER} is not available ({e}). `hero trap` needs it to score a "
                   f"model; the metrics, reports and `hero trap compare` work without it.", err=True)
        sys.exit(2)
    return make_trap_scorer


def _print_result(res) -> None:
    from hero.trap.report import fmt, fmt_ci

    s = res.summary
    typer.echo(f"scored {res.n_new} new samples, {res.n_skipped} already done; entropy: {s['entropy_kind']} (nats)")
    for g in s["groups"]:
        typer.echo(f"  {g['key']:<28} n={g['n']:<5} acc={fmt_ci(g['accuracy'], g['accuracy_ci'])}  "
                   f"mean H={fmt(g['mean_entropy'])}  trap acc={fmt(g['trap']['accuracy'])} "
                   f"(share {fmt(g['trap']['share'])})  ECE={fmt(g['calibration']['ece'])}  "
                   f"AUROC={fmt(g['calibration']['auroc'])}")
    for tr in s["trend"]:
        typer.echo(f"  trend T={tr['temperature']:g} {tr['op']}: mean-entropy slope {fmt(tr['entropy_slope'], 5)} "
                   f"nats/level, accuracy slope {fmt(tr['accuracy_slope'], 5)} /level")
    for name, path in res.files.items():
        typer.echo(f"  {name}: {path}")
    if res.missing:
        typer.echo(f"{len(res.missing)} question(s) skipped because their image is missing (excluded from every "
                   f"metric, counted in summary.json):", err=True)
        for q in res.missing:
            typer.echo(f"  id {q['id']}: {q['image_path']}", err=True)


@app.callback()
@fail_on_input_errors
def trap(
    ctx: typer.Context,
    model: Optional[str] = typer.Option(None, help="Model folder (Hugging Face format)."),
    questions: Optional[str] = typer.Option(None, help="POPE-format question file (JSONL)."),
    images: Optional[str] = typer.Option(None, help="Folder with the questions' images."),
    out: Optional[str] = typer.Option(None, help="Run folder; rerunning with the same folder resumes."),
    noise: str = typer.Option("", help="Gaussian noise σ values on the 0–255 pixel scale (shorthand for noise:σ "
                              "specs); with no --noise and no --degrade: 0,30,50."),
    degrade: List[str] = typer.Option([], "--degrade", help="A degradation spec (repeatable): blur:1, down:4, "
                                      "occlude:0.2, noise:30+blur:1; added to the --noise grid."),
    temperatures: str = typer.Option("1.0", help="Temperatures, comma-separated (several → a sweep)."),
    entropy: str = typer.Option("binary", help="Entropy for bins/trap/trend: binary or full."),
    entropy_edges: Optional[str] = typer.Option(None, help=EDGES_HELP),
    trap_threshold: float = typer.Option(0.3, help="Trap score = accuracy of samples with entropy ≤ this (nats)."),
    ece_bins: int = typer.Option(15, help="Confidence bins of ECE / adaptive ECE / MCE."),
    n_boot: int = typer.Option(1000, help="Bootstrap resamples for the 95 % CIs."),
    seed: int = typer.Option(0, help="Seed of the image noise and of the bootstrap."),
    batch_size: int = typer.Option(64, help="Questions per scorer call (flushed to samples.jsonl per batch)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Score a model on POPE questions under image noise and write samples.jsonl, summary.json and the report."""
    if ctx.invoked_subcommand is not None:
        return
    missing = [f"--{n}" for n, v in (("model", model), ("questions", questions), ("images", images), ("out", out))
               if not v]
    if missing:
        raise ValueError(f"hero trap needs {', '.join(missing)} (or a subcommand: `hero trap compare`)")
    from hero.trap.run import TrapConfig, preflight, run_trap

    cfg = TrapConfig(model=model, questions=questions, images=images, out=out, noise=noise, degrade=list(degrade),
                     temperatures=temperatures, entropy=entropy, entropy_edges=entropy_edges,
                     trap_threshold=trap_threshold, ece_bins=ece_bins, n_boot=n_boot, seed=seed,
                     batch_size=batch_size)
    preflight(cfg)  # bad input fails before the model loads
    score_fn = _load_scorer_factory()(cfg.model, seed=cfg.seed, batch_size=cfg.batch_size)
    _print_result(run_trap(cfg, score_fn, progress=progress))


@app.command("compare")
@fail_on_input_errors
def compare(
    runs: list[str] = typer.Argument(..., help="Run folders written by `hero trap`."),
    out: str = typer.Option(..., help="Folder for report.html, report.md, plots/ and compare.json."),
    names: Optional[str] = typer.Option(None, help="Run names, comma-separated (default: folder names)."),
    entropy: str = typer.Option("binary", help="Entropy for bins/trap/trend: binary or full."),
    entropy_edges: Optional[str] = typer.Option(None, help=EDGES_HELP),
    trap_threshold: float = typer.Option(0.3, help="Trap threshold (nats)."),
    ece_bins: int = typer.Option(15, help="Confidence bins of ECE / adaptive ECE / MCE."),
    n_boot: int = typer.Option(1000, help="Bootstrap resamples for the 95 % CIs."),
    seed: int = typer.Option(0, help="Bootstrap seed."),
) -> None:
    """Compare several `hero trap` runs: the same tables and plots side by side, one summary setting for all."""
    from hero.trap.compare import compare_runs
    from hero.trap.run import parse_number_list

    edges = parse_number_list(entropy_edges, "--entropy-edges") if entropy_edges else None
    name_list = [n.strip() for n in names.split(",")] if names else None
    files = compare_runs(runs, out, name_list, entropy_kind=entropy, edges=edges, threshold=trap_threshold,
                         ece_bins=ece_bins, n_boot=n_boot, seed=seed)
    for name, path in files.items():
        typer.echo(f"{name}: {path}")
