"""`hero eval` — generate answers / captions with any Hugging Face VLM, then score them with `hero score`'s metrics.

    hero eval pope   --model DIR --images DIR --questions coco_pope_random.json [--questions ...] --out RUN
    hero eval amber  --model DIR --images DIR --queries query_all.json --amber-data AMBER/data [--type a] --out RUN
    hero eval chair  --model DIR --images DIR --coco COCO/annotations [--synonym-bigrams] --out RUN
    hero eval throne --model DIR --images DIR --coco-annotations instances.json --judge rule|FLAN_T5_DIR --out RUN
    hero eval world  --model DIR --world DIR --out RUN [--split test] [--throne]

Options are the fields of the configs in `hero.evaluation.config` (every command shares EvalConfig and its
DecodingConfig: --decoding greedy|sample|vcd, --temperature, --vcd-*, --batch-size, --seed, ...; each benchmark's
own config is shared with `hero score`). Rerunning with the same RUN resumes; another model or other settings in
the same RUN are refused. Formats: docs/benchmarks.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from hero import options
from hero.display import number, rounded
from hero.evaluation.registry import EVALUATIONS
from hero.evaluation.world import WorldEvalConfig

app = options.group(
    help=(
        "Evaluate a VLM on POPE, AMBER, CHAIR and THRONE: generate (batched, greedy / sampling / VCD, resumable), "
        "then score with the official-exact metrics of `hero score`. `hero eval world` runs them all on the "
        "embedded world."
    ),
)


def _evaluate(name: str, settings: options.Settings) -> None:
    from hero.distributed import ranks
    from hero.evaluation.registry import runner
    from hero.threads import torch_threads
    from hero.io import check_out_folder
    from hero.trap.runfolder import removed_on_failure

    cfg = options.build(EVALUATIONS.get(name), settings, command=f"eval {name}")
    check_out_folder(cfg.out)
    with removed_on_failure(cfg.out), torch_threads(cfg.threads):  # a failed run leaves no folder it created
        scores = runner(name)(cfg, cfg.progress)
    if ranks().main:  # under torchrun / accelerate launch every rank scores; rank 0 prints
        typer.echo(json.dumps(rounded(scores), indent=2))  # 3 decimals; RUN/<bench>/scores.json keeps all


def _world(settings: options.Settings) -> None:
    from hero.distributed import ranks
    from hero.evaluation.world import run_world
    from hero.threads import torch_threads

    cfg = options.build(WorldEvalConfig, settings, command="eval world")
    with torch_threads(cfg.threads):
        res = run_world(cfg, cfg.progress)
    if not ranks().main:
        return
    for name, m in res["pope"]["splits"].items():
        typer.echo(f"POPE {name:<12} accuracy {number(m['accuracy'])}  F1 {number(m['f1'])}  "
                   f"yes-ratio {number(m['yes_ratio'])}  (n={m['n']})")
    a, c = res["amber"], res["chair"]
    typer.echo("AMBER  " + "  ".join(f"{k} {number(a[k])}" for k in ("CHAIR", "Cover", "Hal", "Cog", "Accuracy", "F1"))
               + f"  AMBER score {number(a['AMBER_score'])}")
    typer.echo(f"CHAIR  CHAIR_s {number(c['CHAIRs'])}  CHAIR_i {number(c['CHAIRi'])}  (captions {c['n_captions']})")
    for strategy in ("micro", "class") if "throne" in res else ():
        for tau, m in res["throne"][strategy]["thresholds"].items():
            typer.echo(f"THRONE {strategy:<5} τ={tau}  P {number(m['P'])}  R {number(m['R'])}  "
                       f"F1 {number(m['F1'])}  F0.5 {number(m['F0_5'])}")
    typer.echo(f"results: {Path(cfg.out) / 'results.json'}")


for _name in EVALUATIONS.names():
    options.command(app, _name, options.options_of(EVALUATIONS.get(_name)),
                    lambda settings, n=_name: _evaluate(n, settings), EVALUATIONS.meta(_name)["doc"])
options.command(app, "world", options.options_of(WorldEvalConfig), _world,
                "POPE (3 splits), AMBER (d + g), CHAIR (+ THRONE) on the embedded world; one results.json.")
