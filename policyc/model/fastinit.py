"""A faster `__init__` for the frozen dataclasses a build makes by the hundred thousand.

A frozen dataclass's generated `__init__` stores each field through `object.__setattr__` (a call
per field, to get past the class's own `__setattr__`, which refuses). Writing the instance's
`__dict__` directly gives the same object at a fraction of the cost: spans, words, subjects,
grants, manifests and RBAC references were some 5 % of a build of 3,000 namespaces (issue 19,
docs/performance.md). Equality, hashing, ordering, `repr` and `dataclasses.replace` are the
dataclass's own, unchanged.

Only plain classes qualify: every field in `__init__`, no default factories, no `__post_init__`,
an instance `__dict__` (no slots); anything else is refused when the class is defined, so a field
added later cannot be silently skipped. tests/unit/model/test_fast_inits.py compares the objects
with the ones the dataclass's own `__init__` makes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

_T = TypeVar("_T")


def quick_init(cls: type[_T]) -> type[_T]:
    """Decorator (above `@dataclass(frozen=True)`): replace the generated `__init__`."""
    cls.__init__ = _make_init(cls)  # type: ignore[misc]
    return cls


def _make_init(cls: type) -> Any:
    if not dataclasses.is_dataclass(cls) or "__slots__" in cls.__dict__:
        raise TypeError(f"quick_init: {cls.__name__} must be a dataclass with an instance dict")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"quick_init: {cls.__name__} has __post_init__")
    params: list[str] = []
    body: list[str] = []
    defaults: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"quick_init: field {cls.__name__}.{f.name} is not a plain init field")
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            defaults[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        body.append(f"    d[{f.name!r}] = {f.name}")
    source = f"def __init__(self, {', '.join(params)}):\n    d = self.__dict__\n" + "\n".join(body) + "\n"
    namespace: dict[str, Any] = {}
    exec(source, dict(defaults), namespace)  # noqa: S102 (the text is made of the class's field names)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init
