"""`hero score` — score existing model outputs on POPE, AMBER, CHAIR and THRONE with the official metrics.

One subcommand per benchmark registered in `hero.official.registry.BENCHMARKS`; its options are the fields of the
benchmark's score config (`hero.official.configs`, shared with `hero eval`). Each prints one JSON object to
stdout (numbers rounded to 3 decimals), writes it at full precision to `--out FILE` if given and per-item details
(JSONL) to `--details FILE`. The metric code lives
in `hero.official.{pope_metrics,amber,chair,throne}`; every deviation from the official scripts is listed in
docs/benchmarks.md.
"""

from __future__ import annotations

import json

import typer

from hero import options
from hero.official.registry import BENCHMARKS

app = options.group(
    help=(
        "Score existing model outputs with metrics identical to the official benchmark scripts.\n\n"
        "`hero score pope` (yes/no answers vs coco_pope_*.json labels), `hero score amber` (AMBER responses), "
        "`hero score chair` (COCO captions), `hero score throne` (THRONE evaluator answers). Each prints one JSON "
        "object (numbers rounded to 3 decimals); `--out` saves it at full precision, `--details` writes one JSON "
        "line per scored item. Deviations from the official code: docs/benchmarks.md."
    ),
)


def _score(name: str, settings: options.Settings) -> None:
    from hero.display import rounded
    from hero.io import write_json_atomic, write_jsonl_atomic

    from hero.official.outputs import check_outputs

    cfg = options.build(BENCHMARKS.meta(name)["config"], settings, command=f"score {name}")
    check_outputs([("--out", cfg.output.out), ("--details", cfg.output.details)], cfg.input_paths())
    metrics, details = BENCHMARKS.get(name)(cfg)
    if cfg.output.out is not None:
        write_json_atomic(cfg.output.out, metrics)
    if cfg.output.details is not None:
        write_jsonl_atomic(cfg.output.details, details)
    typer.echo(json.dumps(rounded(metrics), indent=2))


for _name in BENCHMARKS.names():
    options.command(app, _name, options.options_of(BENCHMARKS.meta(_name)["config"]),
                    lambda settings, n=_name: _score(n, settings), BENCHMARKS.meta(_name)["doc"])
