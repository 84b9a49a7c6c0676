"""watch/: what a live view shows while its streams cannot reconnect: a status line above a
terminal's frame, one warning per outage beside printed frames."""

from __future__ import annotations

import io

from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.follow import Recovered, Trouble
from kubectl_rollouts_py.term.screen import Screen
from kubectl_rollouts_py.watch.frames import Frame
from kubectl_rollouts_py.watch.outage import track_outage
from kubectl_rollouts_py.watch.sinks import Printer, ScreenSink


def warnings_to(warned: list[str]) -> Environment:
    class Lines(io.StringIO):
        def write(self, text: str) -> int:
            warned.append(text.rstrip("\n"))
            return len(text)

    return Environment(io.StringIO(), io.StringIO(), Lines())


def test_the_terminal_view_shows_a_status_line_while_reconnecting_and_drops_it_after() -> None:
    out = io.StringIO()
    with Screen(out, height=lambda: 40) as screen:
        sink = ScreenSink(screen)
        sink.show(Frame("NAME app-backend\n"))
        clock = iter(range(100)).__next__
        outage = track_outage(None, [Trouble(r.PODS, "cannot reach it: \x1b[31mconnection refused", 2)], sink,
                                    lambda: float(clock()))
        assert outage is not None
        drawn = out.getvalue()
        assert "reconnecting: cannot reach it: \\x1b[31mconnection refused" in drawn  # escaped, never raw
        assert "\x1b[31m" not in drawn
        assert track_outage(outage, [Recovered(r.PODS)], sink, lambda: float(clock())) is None
        last = out.getvalue()[len(drawn):]
        assert "NAME app-backend" in last and "reconnecting" not in last


def test_a_printed_view_warns_once_per_outage_and_once_when_it_recovers() -> None:
    warned: list[str] = []
    sink = Printer(warnings_to(warned))
    now = [0.0]
    outage = None
    for attempt in range(2, 6):  # every failed attempt reports Trouble; one warning
        outage = track_outage(outage, [Trouble(r.ROLLOUTS, f"HTTP 503 (attempt {attempt})", attempt)], sink,
                                    lambda: now[0])
        now[0] += 4
    assert outage is not None
    assert outage.note().startswith("; the API server was unreachable for the last 16s (HTTP 503 (attempt 5))")
    assert track_outage(outage, [Recovered(r.ROLLOUTS)], sink, lambda: now[0]) is None
    assert warned == ["Warning: reconnecting: HTTP 503 (attempt 2)", "Warning: reconnected to the API server after 16s"]


def test_an_outage_lasts_until_every_troubled_stream_recovers() -> None:
    warned: list[str] = []
    sink = Printer(warnings_to(warned))
    outage = track_outage(None, [Trouble(r.PODS, "down", 2), Trouble(r.ROLLOUTS, "down", 2)], sink, lambda: 0.0)
    outage = track_outage(outage, [Recovered(r.PODS)], sink, lambda: 1.0)
    assert outage is not None and len(warned) == 1
    assert track_outage(outage, [Recovered(r.ROLLOUTS)], sink, lambda: 2.0) is None
    assert len(warned) == 2
