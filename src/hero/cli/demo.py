"""`hero demo` — the paper's experiment in miniature, end to end, on the embedded default.

Options are the fields of `hero.demo.config.DemoConfig`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hero import options
from hero.demo.config import DemoConfig

app = options.group(help="Run the whole HERO experiment in miniature on the embedded world.",
                      invoke_without_command=True, no_args_is_help=False)


def _run(settings: options.Settings) -> None:
    from hero.demo.run import run_demo
    from hero.display import rounded

    cfg = options.build(DemoConfig, settings, command="demo")
    out = Path(cfg.out)
    res = run_demo(cfg, log=typer.echo)
    typer.echo(f"\nreport: {out / 'report.html'}  ·  numbers: {out / 'results.json'}")
    typer.echo(f"stages took {res['minutes_stages']:.1f} min in all (this call {res['minutes_this_call']:.1f} min)")
    for t in res["targets"]:
        typer.echo(f"  [{t['status']:>12}] {t['target']}: {json.dumps(rounded(t['measured']))}")
    m = res["matched_steps"]
    typer.echo(f"optimizer steps ({'matched' if m['matched'] else 'NOT matched' if m['matched'] is False else '?'}): "
               f"{json.dumps(res['steps'])}")
    for key, r in res["paired"].items():  # own-bin accuracy difference; McNemar on both-confident (demo.paired)
        typer.echo(f"  {key} at σ=50, trap-bin accuracy (bins {r['n_bin_a']} / {r['n_bin_b']}): diff "
                   f"{json.dumps(rounded(r['diff']))} CI {json.dumps(rounded(r['ci']))}; McNemar p on the {r['n']} "
                   f"both-confident questions {json.dumps(rounded(r['p_mcnemar']))}; all questions: diff "
                   f"{json.dumps(rounded(r['all']['diff']))}")


options.command(app, None, options.options_of(DemoConfig), _run,
                "World → tiny VLM → CoT-SFT and answer-SFT → GRPO / HERO / DPO → hero trap at σ = 0/30/50 → POPE, "
                "AMBER, CHAIR (+ VCD and temperature baselines) → runs/demo/report.html, report.md, results.json.",
                callback=True)
