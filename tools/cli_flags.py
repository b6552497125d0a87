"""Every `hero` command and its flags, one line per command (for checking that a refactor renamed nothing).

    python tools/cli_flags.py > flags.txt
"""

from __future__ import annotations

import typer

from hero.cli.main import app


def walk(c, path: list[str]):
    if hasattr(c, "commands"):
        if len(path) > 1 and c.params:
            yield path, c
        for name in sorted(c.commands):
            yield from walk(c.commands[name], path + [name])
    else:
        yield path, c


def describe(c) -> list[str]:
    out = []
    for p in c.params:
        if type(p).__name__.endswith("Option"):
            out.append("/".join(p.opts + p.secondary_opts) + ("*" if p.multiple else ""))
        else:
            out.append("ARG:" + p.name)
    return sorted(out)


if __name__ == "__main__":
    for path, cmd in walk(typer.main.get_command(app), ["hero"]):
        print(" ".join(path), "::", " ".join(describe(cmd)))
