"""`hero data` — training data files for `hero train ... --data FILE --images DIR`.

    hero data pope-train --coco instances.json [--captions captions.json] --out train.jsonl [--per-image 6] [--seed S]
    hero data from-world --world DIR [--split train] --out train.jsonl
    hero data check FILE [--images DIR]

Options are the fields of the configs in `hero.data.commands`; the row format: `hero.data.rows`.
"""

from __future__ import annotations

import typer

from hero import options
from hero.data.commands import DataCheckConfig, DataFromWorldConfig, DataPopeTrainConfig
from hero.display import number
from hero.io import InputError

app = options.group(
    help=(
        "Training data files: rows of image, question, answer (yes/no) and reference (text) for `hero train sft|grpo"
        "|hero|dpo --data FILE --images DIR`. `pope-train` builds them from COCO annotations, `from-world` from the "
        "embedded world, `check` validates one."
    ),
    no_args_is_help=True,
)


def _pope_train(settings: options.Settings) -> None:
    from hero.data.commands import pope_train

    s = pope_train(options.build(DataPopeTrainConfig, settings, command="data pope-train"))
    typer.echo(f"wrote {s['rows']} rows about {s['images']} images ({s['yes']} yes, {s['rows'] - s['yes']} no) "
               f"to {s['out']}")


def _from_world(settings: options.Settings) -> None:
    from hero.data.commands import world_data_rows
    from hero.io import write_jsonl_atomic
    from hero.rl.world_data import question_rows

    c = options.build(DataFromWorldConfig, settings, command="data from-world")
    rows = world_data_rows(question_rows(c.world, c.split, seed=c.seed, questions_per_image=c.questions_per_image,
                                         limit=c.max_images), c.world)
    write_jsonl_atomic(c.out, rows)
    typer.echo(f"wrote {len(rows)} rows ({sum(r['answer'] == 'yes' for r in rows)} yes) to {c.out}; train with "
               f"--data {c.out} --images {c.world}")


def _check(settings: options.Settings) -> None:
    from hero.data.commands import check_counts

    c = options.build(DataCheckConfig, settings, command="data check")
    s = check_counts(c)
    answered = s["yes"] + s["no"]
    share = number(s["yes"] / answered) if answered else "-"
    typer.echo(f"{c.data}: {s['rows']} rows: {s['yes']} yes, {s['no']} no, {s['open']} open (yes share {share}); "
               f"{s['references']} with a reference")
    if s["images"] is None:
        typer.echo("images: not checked (pass --images DIR)")
        return
    typer.echo(f"images: {s['images']} named, {s['found']} found, {s['missing']} missing, {s['unreadable']} "
               f"unreadable (under {c.images})")
    if s["first_bad"]:
        raise InputError(f"{s['first_bad']}; {s['missing'] + s['unreadable']} image(s) would stop training")


options.command(app, "pope-train", options.options_of(DataPopeTrainConfig), _pope_train,
                "Yes/no training questions from COCO annotations with POPE's three negative kinds (balanced).")
options.command(app, "from-world", options.options_of(DataFromWorldConfig), _from_world,
                "The embedded world's training questions as a data file (the format of --data).")
options.command(app, "check", options.options_of(DataCheckConfig), _check,
                "Validate a data file (every row; images with --images) and print its counts.")
