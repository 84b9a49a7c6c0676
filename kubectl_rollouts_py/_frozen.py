"""`@frozen`: `@dataclass(frozen=True)` for the value classes on the start-up path, cheaper to define.

On Python before 3.13, `dataclass` compiles each generated method (`__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__`, `__delattr__`) with a separate `exec`, about a
millisecond a class on the project's machines; `get rollout` defines some fifty value
classes before it prints, so that was a quarter of its run. `frozen` lets `dataclass`
collect the fields (so `dataclasses.fields`, `replace` and `asdict` work as before) and
adds the same methods as closures over the field list: nothing is compiled, so a class
costs a fifth as much to define, and an instance a few microseconds more to make. From
3.13 on, `dataclass` compiles one source per class, and `frozen` is `dataclass(frozen=True)`.

Supported: `eq=False`, fields with defaults, `field(default_factory=..., compare=..., repr=...,
hash=..., init=...)`, `__post_init__`. Not supported (refused): InitVar, kw_only; no slots.
A neutral leaf module: the standard library only.
"""

from __future__ import annotations

import dataclasses
import sys
from operator import attrgetter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # typing has it from 3.11 on; for the type checker's eyes only

    def dataclass_transform(**_: Any) -> Any:
        return lambda decorator: decorator

T = TypeVar("T")

_MISSING = dataclasses.MISSING


@overload
def frozen(cls: type[T], /) -> type[T]: ...


@overload
def frozen(*, eq: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, eq_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: Any = None, /, *, eq: bool = True) -> Any:
    """The class as a frozen dataclass: `@frozen`, or `@frozen(eq=False)` for identity
    equality and hashing (as `dataclass(frozen=True, eq=False)`)."""
    if cls is None:
        return lambda c: _frozen(c, eq)
    return _frozen(cls, eq)


def _frozen(cls: Any, eq: bool) -> Any:
    if sys.version_info >= (3, 13):
        return dataclasses.dataclass(frozen=True, eq=eq)(cls)
    if getattr(cls, "__doc__", None) is None:
        cls.__doc__ = cls.__name__  # else dataclass computes one through inspect.signature
    registered = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    _add_methods(registered, eq)
    return registered


def _getter(names: list[str]) -> Any:
    """A function from an object to the tuple of its attributes `names`."""
    if not names:
        return lambda obj: ()
    get = attrgetter(*names)
    return get if len(names) > 1 else (lambda obj: (get(obj),))


def _add_methods(cls: Any, eq: bool) -> None:
    every = cls.__dataclass_fields__
    fields = dataclasses.fields(cls)
    if len(fields) != len(every) or any(f.kw_only is True for f in fields):
        raise TypeError(f"{cls.__name__}: @frozen supports plain fields only (no InitVar or kw_only)")
    init_fields = [f for f in fields if f.init]
    names = [f.name for f in init_fields]
    position = {name: i for i, name in enumerate(names)}
    defaults: list[tuple[Any, Any]] = [(f.default, f.default_factory) for f in init_fields]
    implicit: list[tuple[str, Any, Any]] = [(f.name, f.default, f.default_factory) for f in fields if not f.init
                and (f.default is not _MISSING or f.default_factory is not _MISSING)]
    post_init = hasattr(cls, "__post_init__")
    field_names = frozenset(f.name for f in fields)
    shown = [f.name for f in fields if f.repr]
    compared = _getter([f.name for f in fields if f.compare])
    hashed = _getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
    set_attribute = object.__setattr__
    title = f"{cls.__name__}.__init__()"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{title} takes {len(names) + 1} positional arguments but {len(args) + 1} were given")
        values = [*args, *([_MISSING] * (len(names) - len(args)))]
        for key, value in kwargs.items():
            at = position.get(key)
            if at is None:
                raise TypeError(f"{title} got an unexpected keyword argument {key!r}")
            if values[at] is not _MISSING:
                raise TypeError(f"{title} got multiple values for argument {key!r}")
            values[at] = value
        for at, value in enumerate(values):
            if value is _MISSING:
                default, factory = defaults[at]
                if default is not _MISSING:
                    value = default
                elif factory is not _MISSING:
                    value = factory()
                else:
                    raise TypeError(f"{title} missing required argument: {names[at]!r}")
            set_attribute(self, names[at], value)
        for name, default, factory in implicit:
            set_attribute(self, name, default if default is not _MISSING else factory())
        if post_init:
            self.__post_init__()

    def __repr__(self: Any) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"

    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in field_names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in field_names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    for method in (__init__, __repr__, *((__eq__, __hash__) if eq else ()), __setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
