"""The watching commands' views (watch/views.py) in-process: a fake source whose watches
deliver scripted events, and a fake Environment (string streams, a fixed clock, chosen tty
facts) that receives everything they print."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO, cast

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import ObjectList, Source, WatchEvent
from kubectl_rollouts_py.watch import sinks, views
from kubectl_rollouts_py.watch.frames import Frame
from tests.inprocess import run_cli

NOW = dt.datetime(2026, 11, 29, 8, 0, 0, tzinfo=dt.timezone.utc)
NS = "shop"


def rollout(phase: str, message: str = "", version: str = "1") -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": NS, "resourceVersion": version, "uid": "u1"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}},
            "status": {"phase": phase, "message": message}}


class FakeSource:
    """Objects by kind; each kind's first watch delivers its scripted events, then waits
    (as a quiet cluster's watch does) until the follower stops it."""

    namespace = NS

    def __init__(self, objects: dict[r.Resource, list[dict[str, Any]]], events: dict[r.Resource, list[WatchEvent]] | None = None) -> None:
        self.objects = objects
        self.events = dict(events or {})
        self.requests: list[tuple[str, str, str | None, str | None]] = []

    def describe(self) -> str:
        return "fake"

    def get(self, resource: r.Resource, name: str, namespace: str | None) -> dict[str, Any]:
        for obj in self.objects.get(resource, []):
            if obj["metadata"]["name"] == name:
                return obj
        raise errors.NotFound(f'{resource.plural} "{name}" not found')

    def list(self, resource: r.Resource, namespace: str | None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> ObjectList:
        self.requests.append(("list", resource.plural, label_selector, field_selector))
        items = self.objects.get(resource, [])
        if field_selector:
            items = [o for o in items if f"metadata.name={o['metadata']['name']}" == field_selector]
        return ObjectList(list(items), "1")

    def watch(self, resource: r.Resource, namespace: str | None, *, resource_version: str, label_selector: str | None = None,
              field_selector: str | None = None, timeout_seconds: int | None = None,
              stop: threading.Event | None = None) -> Iterator[WatchEvent]:
        self.requests.append(("watch", resource.plural, label_selector, field_selector))
        yield from self.events.pop(resource, [])
        assert stop is not None
        stop.wait(timeout_seconds)


def written(stream: TextIO) -> str:
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def fake_env(*, tty: bool = False, term: str = "xterm") -> Environment:
    return Environment(io.StringIO(), io.StringIO(), io.StringIO(), environ={"TERM": term}, stdout_isatty=tty,
                       clock=lambda: NOW)


def text_of(obj: dict[str, Any], objects: Any, output: str, *, now: dt.datetime, live: Any = None) -> Frame:
    state, message = derive_rollout.rollout_status(obj)
    return Frame(f"{obj['metadata']['name']}: {state} {message}\n")


def test_status_prints_each_change_until_the_rollout_settles() -> None:
    first = rollout("Progressing", "more replicas need to be updated")
    source = FakeSource({r.ROLLOUTS: [first]}, {r.ROLLOUTS: [
        WatchEvent("MODIFIED", rollout("Paused", "CanaryPauseStep", "2")),
        WatchEvent("MODIFIED", rollout("Healthy", "", "3")),
    ]})
    env = fake_env()
    state = views.watch_status(env, cast(Source, source), first, lambda s, m: f"{s} - {m}\n" if m else f"{s}\n", timeout=10,
                               settled=("Healthy", "Degraded"), printed="Progressing - more replicas need to be updated\n")
    assert state == ("Healthy", "", "")
    assert written(env.stdout) in (
        "Progressing - more replicas need to be updated\nPaused - CanaryPauseStep\nHealthy\n",
        "Progressing - more replicas need to be updated\nHealthy\n",  # both events in one batch
    )
    assert written(env.stderr) == ""
    assert ("list", "rollouts", None, None) not in source.requests  # it starts from the object it was given


def test_a_printed_view_separates_frames_with_the_environments_clock_and_stops_at_the_timeout() -> None:
    source = FakeSource({r.ROLLOUTS: [rollout("Paused", "CanaryPauseStep")]},
                        {r.ROLLOUTS: [WatchEvent("MODIFIED", rollout("Healthy", "", "2"))]})
    env = fake_env()
    views.watch_view(env, cast(Source, source), r.ROLLOUTS, "web", text_of, "text", timeout=1.0)
    assert written(env.stdout) == "web: Healthy \n" or written(env.stdout) == (
        "web: Paused CanaryPauseStep\n\n--- 2026-11-29T08:00:00Z\nweb: Healthy \n")
    # the ReplicaSets and pods of the rollout are label-selected by its selector
    assert ("list", "pods", "app=web", None) in source.requests
    assert ("list", "rollouts", None, "metadata.name=web") in source.requests


def test_until_complete_raises_the_rollouts_failure() -> None:
    source = FakeSource({r.ROLLOUTS: [rollout("Progressing")]},
                        {r.ROLLOUTS: [WatchEvent("MODIFIED", rollout("Degraded", "ProgressDeadlineExceeded", "2"))]})
    env = fake_env()
    with pytest.raises(errors.RolloutsError, match="degraded state with message: ProgressDeadlineExceeded"):
        views.watch_view(env, cast(Source, source), r.ROLLOUTS, "web", text_of, "text", timeout=10, until_complete=True)
    assert written(env.stdout).endswith("web: Degraded ProgressDeadlineExceeded\n")


def test_until_complete_times_out_with_its_own_words() -> None:
    source = FakeSource({r.ROLLOUTS: [rollout("Paused", "CanaryPauseStep")]})
    with pytest.raises(errors.RolloutsError, match='rollout "web" did not complete: timed out while waiting$'):
        views.watch_view(fake_env(), cast(Source, source), r.ROLLOUTS, "web", text_of, "text", timeout=0.3, until_complete=True)


class FlakySource(FakeSource):
    """Its first `failures` watches of rollouts cannot reach the server."""

    def __init__(self, objects: dict[r.Resource, list[dict[str, Any]]], failures: int) -> None:
        super().__init__(objects)
        self.failures = failures

    def watch(self, resource: r.Resource, namespace: str | None, **kwargs: Any) -> Iterator[WatchEvent]:
        if resource is r.ROLLOUTS and self.failures > 0:
            self.failures -= 1
            raise errors.ConnectionFailed("cannot reach the API server: connection \x1b[31mrefused")
        return super().watch(resource, namespace, **kwargs)


def test_a_printed_view_warns_on_the_environments_stderr_when_it_reconnects() -> None:
    source = FlakySource({r.ROLLOUTS: [rollout("Paused", "CanaryPauseStep")]}, failures=2)
    env = fake_env()
    views.watch_view(env, cast(Source, source), r.ROLLOUTS, "web", text_of, "text", related=(), timeout=3.0)
    assert written(env.stdout) == "web: Paused CanaryPauseStep\n"  # the same frame after the relist: printed once
    assert written(env.stderr).splitlines() == [
        "Warning: reconnecting: cannot reach the API server: connection \\x1b[31mrefused",  # escaped, never raw
        "Warning: reconnected to the API server after 1s",
    ]


class Enough(Exception):
    """Raised by a test's callback to end a watch that would otherwise run until a signal."""


def test_list_watch_shows_only_the_rows_that_changed() -> None:
    listed = ObjectList([rollout("Paused", "CanaryPauseStep")], "1")
    source = FakeSource({}, {r.ROLLOUTS: [WatchEvent("MODIFIED", rollout("Paused", "CanaryPauseStep", "2")),
                                          WatchEvent("MODIFIED", rollout("Healthy", "", "3"))]})
    shown: list[list[str]] = []

    def show(rows: list[Any]) -> str:
        shown.append([row.status for row in rows])
        raise Enough

    with pytest.raises(Enough):
        views.watch_rows(fake_env(), cast(Source, source), listed, NS, None, derive_rollout.build_rollout_row, show)
    assert shown == [["Healthy"]]  # a new resourceVersion alone changes no row
    assert [req for req in source.requests if req[0] == "list"] == []  # it starts from the table's list


@pytest.mark.parametrize(("tty", "term", "output", "kind"), [
    (True, "xterm", "text", sinks.ScreenSink),
    (True, "dumb", "text", sinks.Printer),
    (True, "xterm", "json", sinks.Printer),
    (False, "xterm", "text", sinks.Printer),
])
def test_the_sink_follows_the_environments_terminal_facts(tty: bool, term: str, output: str, kind: type) -> None:
    env = fake_env(tty=tty, term=term)
    with sinks.sink_for(env, output) as sink:
        assert isinstance(sink, kind)
        sink.show(Frame("NAME web\n"))
    assert "NAME web" in written(env.stdout)
    if kind is sinks.ScreenSink:
        assert "\x1b[?1049h" in written(env.stdout)  # the alternate screen, on the environment's stdout


# -- through the CLI, in-process (tests/inprocess.py): the run's Environment reaches the views

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "app-backend-canary.yaml")
SAVED = ("-n", "ithome", "--from-file", EXAMPLE)
ENVIRON = {"HOME": "/nonexistent", "KUBECONFIG": "/nonexistent"}
SCENARIO_NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)


def test_watch_on_a_terminal_draws_its_screen_on_the_environments_stdout() -> None:
    result = run_cli(["get", "rollout", "app-backend", "-w", "--timeout-seconds", "1", *SAVED],
                     environ={**ENVIRON, "TERM": "xterm"}, tty=True, now=SCENARIO_NOW)
    assert (result.exit_code, result.stderr) == (0, "")
    on_screen, _, after = result.stdout.partition("\x1b[?1049l")  # the alternate screen, then the main one
    assert on_screen.startswith("\x1b[?1049h") and "app-backend" in on_screen
    assert after.startswith("Name:") and "app-backend" in after  # the last frame stays in the scrollback


def test_watch_into_a_pipe_prints_documents_and_status_times_out_on_the_environments_stderr() -> None:
    watched = run_cli(["get", "rollout", "app-backend", "-w", "--timeout-seconds", "1", "-o", "json", *SAVED],
                      environ=ENVIRON, now=SCENARIO_NOW)
    assert (watched.exit_code, watched.stderr) == (0, "")
    assert [json.loads(line)["name"] for line in watched.stdout.splitlines()] == ["app-backend"]  # one NDJSON line
    status = run_cli(["status", "app-backend", "--timeout", "1s", *SAVED], environ=ENVIRON)
    assert (status.exit_code, status.stdout) == (1, "Paused - CanaryPauseStep\n")
    assert status.stderr == "Error: Rollout status watch exceeded timeout\n"
