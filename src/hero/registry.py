"""A registry of named implementations (like verl's `@register_adv_est`): code elsewhere looks a name up instead of
branching on it, and a user adds an implementation by registering it, without editing the caller.

    WEIGHTS = Registry("entropy weight")

    @WEIGHTS.register("neg_exp", whole_groups=False)
    def neg_exp(...): ...

    WEIGHTS.get("neg_exp")          # the function
    WEIGHTS.meta("neg_exp")         # {"whole_groups": False}
    WEIGHTS.get("nope")             # KeyError: unknown entropy weight 'nope'; registered: neg_exp
"""

from __future__ import annotations

from collections.abc import Callable


class UnknownName(KeyError, ValueError):
    """A name that is not registered. A KeyError (lookup) and a ValueError (a bad setting), so config validation
    that catches ValueError reports it like any other bad value."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class Registry:
    """Named implementations of one kind, each with free-form metadata (keyword arguments of `register`)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, tuple[object, dict]] = {}

    def register(self, name: str, *, replace: bool = False, **meta) -> Callable:
        """Decorator registering the decorated object under `name` with `meta`. Registering a taken name is an
        error unless `replace=True` (so two plugins cannot silently shadow each other)."""
        if not name or not isinstance(name, str):
            raise ValueError(f"{self.kind} registry: a name must be a non-empty string, got {name!r}")

        def add(obj):
            if name in self._items and not replace:
                raise ValueError(f"{self.kind} {name!r} is already registered; pick another name or pass "
                                 "replace=True to override it")
            self._items[name] = (obj, dict(meta))
            return obj

        return add

    def unregister(self, name: str) -> None:
        """Remove `name` (tests registering a temporary implementation clean up with this)."""
        self._check(name)
        del self._items[name]

    def get(self, name: str):
        """The object registered under `name`; UnknownName listing the registered names otherwise."""
        self._check(name)
        return self._items[name][0]

    def meta(self, name: str) -> dict:
        """A copy of the metadata registered with `name`."""
        self._check(name)
        return dict(self._items[name][1])

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def _check(self, name: str) -> None:
        if name not in self._items:
            raise UnknownName(f"unknown {self.kind} {name!r}; registered: {', '.join(self.names()) or '(none)'}")
