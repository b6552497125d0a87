"""`hero demo` — the paper's experiment in miniature, end to end, on the embedded default."""

from __future__ import annotations

from pathlib import Path

import typer

from hero.cli.common import fail_on_input_errors

app = typer.Typer(help="Run the whole HERO experiment in miniature on the embedded world.", invoke_without_command=True)


@app.callback(invoke_without_command=True)
@fail_on_input_errors
def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Run folder (stages cached in <out>/<stage>/)."),
    budget_min: float = typer.Option(15.0, "--budget-min", help="Total budget in minutes (training shares of it)."),
    quick: bool = typer.Option(False, "--quick", help="≈3-minute plumbing check (small world, short training)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the world, initialisation and training."),
    ablations: bool = typer.Option(False, "--ablations", help="Also HERO without weight / gate / balancer."),
    force: list[str] = typer.Option([], "--force", help="Redo a cached stage (repeatable; 'all' redoes everything)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars inside stages."),
    threads: int = typer.Option(1, "--threads", help="torch CPU threads (tiny models gain nothing from more)."),
) -> None:
    """World → tiny VLM → CoT-SFT and answer-SFT → GRPO / HERO / DPO → hero trap at σ = 0/30/50 → POPE, AMBER,
    CHAIR (+ VCD and temperature baselines) → runs/demo/report.html, report.md, results.json."""
    import json

    from hero.demo.config import DemoConfig
    from hero.demo.run import run_demo

    cfg = DemoConfig(out=str(out), budget_min=budget_min, quick=quick, seed=seed, ablations=ablations,
                     force=list(force), progress=progress, threads=threads)
    res = run_demo(cfg, log=typer.echo)
    typer.echo(f"\nreport: {out / 'report.html'}  ·  numbers: {out / 'results.json'}")
    typer.echo(f"stages took {res['minutes_stages']:.1f} min in all (this call {res['minutes_this_call']:.1f} min)")
    for t in res["targets"]:
        typer.echo(f"  [{t['status']:>12}] {t['target']}: {json.dumps(t['measured'])}")
