"""`_frozen.frozen` behaves as `@dataclass(frozen=True)` for the classes the project gives it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import field
from typing import Any

import pytest

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.derive import views


def _pair() -> tuple[Any, Any]:
    def body() -> dict[str, Any]:
        return {
            "__annotations__": {"name": "str", "n": "int", "tags": "tuple[str, ...]", "extra": "dict[str, Any]",
                                "created": "dt.datetime", "hidden": "int"},
            "n": 1, "tags": (),
            "extra": field(default_factory=dict, repr=False, hash=False),
            "created": field(compare=False, default=dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)),
            "hidden": field(default=7, init=False),
        }

    ours: Any = frozen(type("Value", (), body()))
    theirs: Any = dataclasses.dataclass(frozen=True)(type("Value", (), body()))
    return ours, theirs


@pytest.mark.parametrize("args,kwargs", [(("a",), {}), (("a", 2, ("x",)), {}), ((), {"name": "b", "extra": {"k": 1}}),
                                         (("a",), {"created": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)})])
def test_the_same_values_as_a_frozen_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ours, theirs = _pair()
    a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
    assert repr(a) == repr(b)
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]
    assert a == ours(*args, **kwargs) and hash(a) == hash(ours(*args, **kwargs))
    assert a != ours("other") and a != b  # another class is never equal, as with dataclasses
    assert dataclasses.replace(a, n=5).n == 5 and dataclasses.replace(a, n=5).name == a.name
    assert a.hidden == 7
    same_but_created = dataclasses.replace(a, created=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert same_but_created == a and hash(same_but_created) == hash(a)  # compare=False
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del a.name


@pytest.mark.parametrize("args,kwargs", [((), {}), (("a", 1, (), {}, None, "extra"), {}), (("a",), {"name": "b"}),
                                         (("a",), {"nope": 1})])
def test_wrong_calls_are_type_errors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ours, theirs = _pair()
    with pytest.raises(TypeError):
        theirs(*args, **kwargs)
    with pytest.raises(TypeError):
        ours(*args, **kwargs)


def test_the_view_models_are_frozen_dataclasses() -> None:
    pod = views.PodView("p", "Running", 1, 1, 0, dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "1d")
    assert dataclasses.is_dataclass(pod) and dataclasses.replace(pod, age="2d").age == "2d"
    with pytest.raises(dataclasses.FrozenInstanceError):
        pod.age = "3d"  # type: ignore[misc]
