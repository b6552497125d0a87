"""One way in: every `hero` command's options generated from its config dataclass (cleanrl's `Args` + tyro, on Typer).

Each option is declared once, as a field of a config dataclass: the field's docstring is the `--help` text, its
default the only default. `options_of(Config)` lists the fields as CLI options (`--field-name`, nested dataclass
fields flattened, `field(metadata={"flag": "--type"})` for another flag name, `{"cli": False}` to keep a field off
the command line, `{"argument": True}` for a positional argument); `command(...)` turns options into a Typer
command that also takes `--config FILE.yaml` and `--set key=value` (repeatable). Precedence, with provenance kept for
every value: dataclass default < YAML file < flags < --set. `build(Config, settings)` makes the config, each value
coerced to its field's type; an unknown, badly typed or missing key is an error naming where it came from
(file:line, the flag, or --set) and, for a typo, the closest field name.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import inspect
import textwrap
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

import typer

from hero.io import InputError, read_text

Settings = dict[str, tuple[object, str]]
"""{field name: (value, where it came from)}."""


# ---------------------------------------------------------------------------------------------- field docstrings
@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """{field: docstring} from the string literal under each annotated field of `cls` and its dataclass bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, nxt in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str)):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


# ---------------------------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Opt:
    """One command-line option (or positional argument) of a config field."""

    key: str
    """Field name (the key in YAML files and --set)."""
    flag: str
    """'--field-name' (or the field's metadata 'flag')."""
    tp: Any
    """The field's type."""
    default: Any
    """The dataclass default (dataclasses.MISSING when required)."""
    help: str
    """The field's docstring."""
    argument: bool = False
    """A positional argument instead of an option."""
    greedy: bool = False
    """A list option that also takes the bare values after it (`--thresholds 5 8 9`, as the official scripts)."""


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return dataclasses.MISSING


def is_config(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def options_of(cls: type, exclude: Sequence[str] = ()) -> list[Opt]:
    """The CLI options of a config dataclass: one per init field, nested config fields flattened in place."""
    hints, docs, out = typing.get_type_hints(cls), field_docs(cls), []
    for f in dataclasses.fields(cls):
        if not f.init or f.name in exclude or f.metadata.get("cli") is False:
            continue
        tp = hints.get(f.name, str)
        if is_config(tp):
            out += options_of(tp, exclude)
            continue
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        out.append(Opt(f.name, flag, tp, _default(f), docs.get(f.name, f.metadata.get("help", "")),
                       bool(f.metadata.get("argument")), bool(f.metadata.get("greedy"))))
    return out


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return tp


def _is_list(tp: Any) -> bool:
    tp = _strip_optional(tp)
    return tp is list or typing.get_origin(tp) in (list, tuple)


def _show(default: Any) -> str:
    if default is dataclasses.MISSING:
        return " (required)"
    if default is None or default == [] or default == "":
        return ""
    if isinstance(default, bool):
        return ""  # shown by the --x/--no-x pair
    if isinstance(default, (list, tuple)):
        return f" (default: {','.join(f'{v:g}' if isinstance(v, float) else str(v) for v in default)})"
    return f" (default: {default:g})" if isinstance(default, float) else f" (default: {default})"


def _parameter(o: Opt) -> inspect.Parameter:
    """The Typer parameter of one option: default None (= not given), so YAML and dataclass defaults show through."""
    tp = _strip_optional(o.tp)
    text = o.help + (" Repeatable; comma-separated values work too." if _is_list(tp) and not o.argument else "")
    text += _show(o.default)
    if o.argument:
        ann = List[str] if _is_list(tp) else str
        return inspect.Parameter(o.key, inspect.Parameter.KEYWORD_ONLY, annotation=ann,
                                 default=typer.Argument(..., help=o.help, show_default=False,
                                                        metavar=o.key.upper() + ("..." if _is_list(tp) else "")))
    if tp is bool:
        ann, decls = Optional[bool], (f"{o.flag}/--no-{o.flag[2:]}",)
        if o.default is True:
            text += " (default: on)"
        elif o.default is False:
            text += " (default: off)"
    elif _is_list(tp):
        ann, decls = Optional[List[str]], (o.flag,)
    else:
        ann, decls = Optional[tp if tp in (int, float) else str], (o.flag,)
    return inspect.Parameter(o.key, inspect.Parameter.KEYWORD_ONLY, annotation=ann,
                             default=typer.Option(None, *decls, help=text, show_default=False,
                                                  metavar=_metavar(tp)))


def _metavar(tp: Any) -> str:
    inner = typing.get_args(tp)[0] if _is_list(tp) and typing.get_args(tp) else tp
    names = {int: "INT", float: "NUM", bool: "", Path: "PATH"}
    return names.get(inner, "TEXT")


def fail_on_input_errors(fn: Callable) -> Callable:
    """The CLI edge (`hero.errors.at_cli_edge`): bad input → one `error: ...` line, exit 2; a bug → one line + the
    path of a log with the traceback, exit 1."""
    from hero.errors import at_cli_edge

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return at_cli_edge(fn, *args, **kwargs)

    return wrapper


def group(help: str, **kw) -> typer.Typer:
    """A `hero` command group. Plain click help (no rich panels): descriptions use the full width of an 80-column
    terminal instead of a narrow column beside the type names."""
    kw.setdefault("no_args_is_help", True)
    return typer.Typer(help=help, rich_markup_mode=None, pretty_exceptions_show_locals=False, add_completion=False,
                       **kw)


_COMMON = {"config": ("--config", "YAML file of settings: field: value, any field of this command."),
           "sets": ("--set", "key=value for any field (repeatable; YAML values: 0.1, true, [0, 50])."
                             " Overrides the file and the flags.")}


def command(app: typer.Typer, name: str | None, opts: Sequence[Opt], run: Callable[[Settings], Any], doc: str,
            *, callback: bool = False, config: bool = True, **typer_kw) -> Callable:
    """Register `run(settings)` as `hero ... name` with one option per `Opt` (+ --config / --set when `config`).
    `callback` registers the group's callback instead (a group runnable without a subcommand, as `hero trap`)."""
    params = [_parameter(o) for o in opts]
    if config:
        params += [inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
                                     default=typer.Option(None, _COMMON["config"][0], help=_COMMON["config"][1],
                                                          metavar="FILE")),
                   inspect.Parameter("sets", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[List[str]],
                                     default=typer.Option(None, _COMMON["sets"][0], help=_COMMON["sets"][1],
                                                          metavar="KEY=VALUE"))]
    greedy = [o.key for o in opts if o.greedy]
    if callback or greedy:
        params.insert(0, inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))
    if greedy:
        typer_kw.setdefault("context_settings", {}).update(allow_extra_args=True, ignore_unknown_options=False)
    by_key = {o.key: o for o in opts}

    def fn(**kw):
        ctx = kw.pop("ctx", None)
        if callback and ctx.invoked_subcommand is not None:
            return None
        if greedy and ctx.args:  # bare values after the option: `--thresholds 5 8 9`
            kw[greedy[0]] = list(kw.get(greedy[0]) or []) + list(ctx.args)
        settings = read_yaml(kw.pop("config")) if kw.get("config") else {}
        kw.pop("config", None)
        sets = kw.pop("sets", None) or []
        for key, value in kw.items():
            if value is not None and value != []:
                settings[key] = (value, by_key[key].flag)
        settings.update(parse_set(sets))
        return run(settings)

    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    fn.__annotations__ = {p.name: p.annotation for p in params}
    fn.__doc__ = doc
    fn.__name__ = (name or "main").replace("-", "_")
    wrapped = fail_on_input_errors(fn)
    if callback:
        return app.callback(invoke_without_command=True, **typer_kw)(wrapped)
    return app.command(name, **typer_kw)(wrapped)


# ---------------------------------------------------------------------------------------------- sources
def read_yaml(path) -> Settings:
    """{key: (value, "file:line")} from a flat YAML mapping; InputError naming the file (and line) otherwise."""
    import yaml

    path = Path(path)
    text = read_text(path, "config file")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except RecursionError:
        raise InputError(f"{path}: YAML nested too deeply to read; a config is a flat field: value mapping") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"{where}: malformed YAML ({getattr(e, 'problem', e)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise InputError(f"{path}: the config must be a mapping of field: value (e.g. 'learning_rate: 1.0e-4')")
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    return {str(k): (v, f"{path}:{lines.get(str(k), '?')}") for k, v in data.items()}


def parse_set(items: Sequence[str]) -> Settings:
    """['beta=0.1', 'sigmas=[0, 50]'] → {key: (YAML-parsed value, "--set key=...")}; ValueError for a bad item."""
    import yaml

    out = {}
    for item in items:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValueError(f"--set {item!r}: write key=value, e.g. --set beta=0.1")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        out[key.replace("-", "_")] = (value, f"--set {item}")
    return out


# ---------------------------------------------------------------------------------------------- coercion
def _scalar(value, tp):
    """value as the scalar type tp, or raise TypeError."""
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0", "on", "off"):
            return value.lower() in ("true", "yes", "1", "on")
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)  # YAML reads "1e-4" (no dot) as a string
            except ValueError:
                pass
    elif tp in (str, Path):
        if isinstance(value, (str, Path)):
            return tp(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return tp(str(value))
    raise TypeError(f"expected {tp.__name__}, got {value!r}")


def coerce(value, tp):
    """`value` (from YAML / flags / --set) converted to the field type `tp` (bool/int/float/str/Path, Optional,
    unions, lists of those, dicts, Literal; other types pass through). TypeError saying what was expected otherwise.
    coerce("1e-4", float) = 0.0001; coerce("0,30,50", list[float]) = [0.0, 30.0, 50.0];
    coerce(["0,30", "50"], list[float]) = [0.0, 30.0, 50.0]; coerce(None, int | None) = None."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and (value is None or (isinstance(value, str) and value.lower() in ("none", "null"))):
            return None
        members = sorted((a for a in args if a is not type(None)), key=lambda a: a in (str, Path))  # str last
        for member in members:
            try:
                return coerce(value, member)
            except TypeError:
                if len(members) == 1:
                    raise
        raise TypeError(f"expected {' or '.join(getattr(a, '__name__', str(a)) for a in args)}, got {value!r}")
    if origin in (list, tuple) or tp in (list, tuple):
        items = value if isinstance(value, (list, tuple)) else [value]
        flat = []
        for v in items:  # each item may itself be comma-separated ("0,30,50")
            flat += [s.strip() for s in v.split(",") if s.strip()] if isinstance(v, str) else [v]
        return [coerce(v, args[0]) for v in flat] if args else flat
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping, got {value!r}")
        return value
    if origin is typing.Literal:
        if value in args:
            return value
        raise TypeError(f"expected one of {args}, got {value!r}")
    if tp in (bool, int, float, str, Path):
        return _scalar(value, tp)
    if isinstance(tp, type) and value is None:
        raise TypeError(f"expected {tp.__name__}, got None")
    return value  # enums, accelerate configs, ...: the config class validates them


# ---------------------------------------------------------------------------------------------- building
def _flag_of(cls: type, key: str) -> str:
    """How the user sets `key` of `cls` on the command line (its flag, or its name for a positional argument)."""
    o = next((o for o in options_of(cls) if o.key == key), None)
    return "--" + key.replace("_", "-") if o is None else o.key if o.argument else o.flag


def build(cls: type, settings: Settings, *, command: str = ""):
    """`cls(**values)` from settings (nested config fields built from their own keys). Unknown keys, bad types and
    missing required fields are ValueErrors naming the source and the fix."""
    keys = _all_keys(cls)
    for key, (_, source) in settings.items():
        if key not in keys:
            close = difflib.get_close_matches(key, sorted(keys), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{source}: unknown field {key!r} for `hero {command}`{hint}; see `hero {command} --help`")
    return _build(cls, settings, command)


def _all_keys(cls: type) -> set[str]:
    hints, out = typing.get_type_hints(cls), set()
    for f in dataclasses.fields(cls):
        if f.init:
            out |= _all_keys(hints[f.name]) if is_config(hints.get(f.name)) else {f.name}
    return out


def _build(cls: type, settings: Settings, command: str):
    hints, kw = typing.get_type_hints(cls), {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        tp = hints.get(f.name, str)
        if is_config(tp):
            kw[f.name] = _build(tp, settings, command)
        elif f.name in settings:
            value, source = settings[f.name]
            try:
                kw[f.name] = coerce(value, tp)
            except TypeError as e:
                raise ValueError(f"{source}: field {f.name!r}: {e}") from None
        elif _default(f) is dataclasses.MISSING:
            raise ValueError(f"`hero {command}` needs {_flag_of(cls, f.name)} (or `{f.name}:` in the --config file)")
    return cls(**kw)
