"""The import structure: no circle between hero's modules or packages except the CLI's command registration."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "import_graph.py"
CLI_REGISTRATION = ["hero.cli.nli", "hero.cli.rl", "hero.cli.sft", "hero.cli.train"]


def _tool():
    spec = importlib.util.spec_from_file_location("import_graph", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_only_import_circle_is_the_cli_registration():
    tool = _tool()
    assert tool.circles(tool.graph()) == [CLI_REGISTRATION]


def test_package_graph_has_no_circle():
    """Modules collapsed to their package (hero.rl.trainer → hero.rl): no package imports one that imports it."""
    tool = _tool()
    package = lambda m: ".".join(m.split(".")[:2])  # noqa: E731
    collapsed: dict[str, set[str]] = {}
    for mod, deps in tool.graph().items():
        collapsed.setdefault(package(mod), set()).update(package(d) for d in deps if package(d) != package(mod))
    for deps in list(collapsed.values()):
        for d in deps:
            collapsed.setdefault(d, set())
    assert tool.circles(collapsed) == []


def test_circles_finds_a_planted_circle():
    tool = _tool()
    assert tool.circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
