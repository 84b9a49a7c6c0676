"""A recording of the demo traffic, for a Prometheus with a past: OpenMetrics text, then promtool.

`analyze --backtest` needs history; on one machine there is none, so this writes what the
demo app (sandbox.demoapp) would have exposed over a span of past time, scraped every
`scrape` seconds, as OpenMetrics text, and backfills it into a TSDB directory with
`promtool tsdb create-blocks-from openmetrics FILE DIR`. A Prometheus started with
`--storage.tsdb.path=DIR` (and a long `--storage.tsdb.retention.time`: blocks are kept by
age) then answers queries about that past.

The metric is the demo app's: `http_server_requests_seconds_count` and `_sum`, labels
`method`, `pod`, `rollouts_pod_template_hash`, `status` (200 or 500), `uri`, so the
app-backend canary's `success-rate` template queries it unchanged. An `Incident` makes the
pods of one hash answer another share of 5xx for a while.

From a shell::

    python -m kubectl_rollouts_py.sandbox.backfill --hours 6 --incident-at 3h --incident-for 1h \\
        --out recording.om --tsdb data/
    prometheus --storage.tsdb.path=data/ --storage.tsdb.retention.time=100y --config.file=empty.yml

Standard library only (promtool is a separate program).
"""

from __future__ import annotations

import argparse
import random
import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.sandbox import scenario
from kubectl_rollouts_py.sandbox.demoapp import ERROR_LATENCY, ERROR_STATUS, METHOD, METRIC, OK_LATENCY, OK_STATUS, URI

STABLE_HASH = "5c8d7f9b4"  # the example's stable ReplicaSet
CANARY_HASH = "7d9f8c6b5"  # and its canary


@dataclass(frozen=True)
class Pod:
    name: str
    pod_hash: str
    rps: float = scenario.REQUESTS_PER_SECOND
    error_ratio: float = scenario.GOOD_ERROR_RATIO


@dataclass(frozen=True)
class Incident:
    """From `start` to `end`, the pods with `pod_hash` answer `error_ratio` of requests with 500."""

    start: dt.datetime
    end: dt.datetime
    pod_hash: str = CANARY_HASH
    error_ratio: float = scenario.BAD_ERROR_RATIO


def story_pods(stable: int = 4) -> list[Pod]:
    """app-backend's pods as the canary story has them: `stable` stable pods and one canary."""
    pods = [Pod(f"{scenario.ROLLOUT}-{STABLE_HASH}-{i:05d}", STABLE_HASH) for i in range(1, stable + 1)]
    pods.append(Pod(f"{scenario.ROLLOUT}-{CANARY_HASH}-00001", CANARY_HASH))
    return pods


def _ratio(pod: Pod, moment: dt.datetime, incidents: Sequence[Incident]) -> float:
    for incident in incidents:
        if incident.pod_hash == pod.pod_hash and incident.start <= moment < incident.end:
            return incident.error_ratio
    return pod.error_ratio


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def recording(
    start: dt.datetime, end: dt.datetime, *, pods: Sequence[Pod] | None = None, incidents: Sequence[Incident] = (),
    scrape: float = 15.0, jitter: float = 0.5, seed: int = 1,
) -> str:
    """OpenMetrics text: every pod's counters, sampled every `scrape` seconds over [start, end].

    Between two samples a pod's error share varies by up to `jitter` of itself (a seeded,
    repeatable draw), so ratios wander a little as real traffic does."""
    if end <= start:
        raise ValueError("the recording must end after it starts")
    if scrape <= 0:
        raise ValueError("the scrape interval must be positive")
    pods = list(pods) if pods is not None else story_pods()
    first = int(start.timestamp())
    last = int(end.timestamp())
    step = scrape
    times = []
    at = float(first)
    while at <= last:
        times.append(at)
        at += step
    lines = [f"# HELP {METRIC} Requests served (demo traffic, recorded).", f"# TYPE {METRIC} summary"]
    draw = random.Random(seed)
    for pod in pods:
        ok = errors_count = 0.0
        points: list[tuple[float, float, float]] = []
        previous = times[0]
        for moment in times:
            elapsed = moment - previous
            ratio = _ratio(pod, dt.datetime.fromtimestamp(previous, dt.timezone.utc), incidents)
            ratio = min(1.0, max(0.0, ratio * (1 + jitter * (2 * draw.random() - 1))))
            ok += elapsed * pod.rps * (1 - ratio)
            errors_count += elapsed * pod.rps * ratio
            points.append((moment, ok, errors_count))
            previous = moment
        for status, index, latency in ((OK_STATUS, 1, OK_LATENCY), (ERROR_STATUS, 2, ERROR_LATENCY)):
            labels = (
                f'method="{METHOD}",pod="{pod.name}",rollouts_pod_template_hash="{pod.pod_hash}",status="{status}",uri="{URI}"'
            )
            for point in points:
                count = point[index]
                stamp = _number(point[0])
                lines.append(f"{METRIC}_count{{{labels}}} {_number(count)} {stamp}")
                lines.append(f"{METRIC}_sum{{{labels}}} {_number(count * latency)} {stamp}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def backfill(text: str, storage: Path, *, workdir: Path, promtool: str = "promtool") -> None:
    """Write `text` (OpenMetrics ending with `# EOF`) into TSDB blocks under `storage`.

    Raises:
        RolloutsError: promtool is missing or refused the text.
    """
    binary = shutil.which(promtool) or promtool
    source = workdir / "recording.om"
    source.write_text(text, encoding="utf-8")
    storage.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [binary, "tsdb", "create-blocks-from", "openmetrics", str(source), str(storage)],
            capture_output=True, text=True, timeout=300, check=False,
        )
    except OSError as exc:
        raise errors.RolloutsError(f"cannot run {promtool}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        raise errors.RolloutsError(f"promtool backfill failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubectl_rollouts_py.sandbox.backfill", description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=6.0, help="how far back the recording starts (ending now)")
    parser.add_argument("--incident-at", type=float, default=None, metavar="HOURS", help="the incident starts this many hours after the start")
    parser.add_argument("--incident-for", type=float, default=1.0, metavar="HOURS", help="and lasts this long (default 1)")
    parser.add_argument("--scrape", type=float, default=15.0, help="seconds between samples (default 15)")
    parser.add_argument("--out", type=Path, required=True, help="the OpenMetrics file to write")
    parser.add_argument("--tsdb", type=Path, default=None, help="backfill it into this TSDB directory with promtool")
    options = parser.parse_args(argv)
    end = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0)
    start = end - dt.timedelta(hours=options.hours)
    incidents = []
    if options.incident_at is not None:
        begin = start + dt.timedelta(hours=options.incident_at)
        incidents.append(Incident(begin, begin + dt.timedelta(hours=options.incident_for)))
    text = recording(start, end, incidents=incidents, scrape=options.scrape)
    options.out.write_text(text, encoding="utf-8")
    print(f"wrote {options.out}: {start:%Y-%m-%dT%H:%M:%SZ} to {end:%Y-%m-%dT%H:%M:%SZ}"
          + "".join(f", incident {i.start:%Y-%m-%dT%H:%M:%SZ}/{i.end:%Y-%m-%dT%H:%M:%SZ}" for i in incidents))
    if options.tsdb is not None:
        try:
            backfill(text, options.tsdb, workdir=options.out.parent)
        except errors.RolloutsError as exc:
            print(exc.message, file=sys.stderr)
            return 1
        print(f"backfilled into {options.tsdb}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
