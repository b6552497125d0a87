"""hero.options: options generated from config dataclasses; dataclass default < YAML < flags < --set, each value
with its source; errors that name the source and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import typer
from typer.testing import CliRunner

from hero import options


@dataclass
class Inner:
    alpha: float = 0.5
    """Weight α."""


@dataclass
class Demo:
    model: str
    """Model folder."""
    sigmas: list[float] = field(default_factory=lambda: [0.0, 30.0])
    """Noise levels."""
    inner: Inner = field(default_factory=Inner)
    """Nested settings."""
    eval_type: str = field(default="a", metadata={"flag": "--type"})
    """Kind."""
    quiet: bool = False
    """Say less."""


def test_options_come_from_fields_docstrings_and_metadata():
    opts = {o.key: o for o in options.options_of(Demo)}
    assert list(opts) == ["model", "sigmas", "alpha", "eval_type", "quiet"]  # nested fields flattened in place
    assert opts["alpha"].help == "Weight α." and opts["alpha"].default == 0.5
    assert opts["eval_type"].flag == "--type" and opts["sigmas"].flag == "--sigmas"


def test_precedence_and_provenance(tmp_path):
    app = typer.Typer()
    seen = {}
    options.command(app, "run", options.options_of(Demo), lambda s: seen.update(s), "doc")
    options.command(app, "other", options.options_of(Demo), lambda s: None, "doc")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: m_yaml\nalpha: 0.1\nsigmas: [0, 50]\n")
    r = CliRunner().invoke(app, ["run", "--config", str(cfg), "--alpha", "0.2", "--set", "alpha=0.3", "--quiet"])
    assert r.exit_code == 0, r.output
    assert seen["alpha"] == (0.3, "--set alpha=0.3") and seen["model"] == ("m_yaml", f"{cfg}:1")
    assert seen["quiet"] == (True, "--quiet")
    built = options.build(Demo, seen, command="run")
    # alpha: YAML 0.1 < flag 0.2 < --set 0.3; sigmas [0, 50] from the file; the rest dataclass defaults
    assert built == Demo(model="m_yaml", sigmas=[0.0, 50.0], inner=Inner(alpha=0.3), eval_type="a", quiet=True)


def test_errors_name_the_source_and_the_fix():
    with pytest.raises(ValueError, match=r"--set alpah=1: unknown field 'alpah' for `hero run` \(did you mean 'alpha'"):
        options.build(Demo, {"model": ("m", "--model"), **options.parse_set(["alpah=1"])}, command="run")
    with pytest.raises(ValueError, match=r"c.yaml:2: field 'alpha': expected float, got 'x'"):
        options.build(Demo, {"model": ("m", "--model"), "alpha": ("x", "c.yaml:2")}, command="run")
    with pytest.raises(ValueError, match=r"`hero run` needs --model \(or `model:` in the --config file\)"):
        options.build(Demo, {}, command="run")


def test_coerce_worked_values():
    assert options.coerce("1e-4", float) == 0.0001
    assert options.coerce(["0,30", "50"], list[float]) == [0.0, 30.0, 50.0]
    assert options.coerce("none", int | None) is None and options.coerce("off", bool) is False


def test_every_default_is_stated_once_in_the_cli():
    """The CLI states no defaults of its own: at most a handful of hand-written typer.Option calls in src/."""
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src"
    count = sum(p.read_text(encoding="utf-8").count("typer.Option(") for p in src.rglob("*.py"))
    assert count <= 40, count
