"""Stopping signals with exec-plugin credentials.

An exec credential plugin run from a watch thread (whose stopping signals are blocked)
starts with an empty blocked mask, so Ctrl-C and SIGTERM reach it; and the signals still
stop the command when the thread that unblocked them for the plugin takes one itself (it
may: the kernel lets any thread that has a signal unblocked take it, and on a loaded box
the main thread is often not the first). That thread then wakes the main thread, which
runs the handler; before, a watch on a loaded box could sleep through SIGTERM for ever.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.standin import NS, cli_path
from tests.faults import matrix

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}

# The plugin notes its SigBlk (and the thread of its parent that started it is unknown to
# it, so every start is noted), then hands out a token that expired already: the library
# runs it again before every request, from whichever thread sends it.
PLUGIN = """#!{python}
import json, sys
with open("/proc/self/status") as status:
    blocked = next(line.split()[1] for line in status if line.startswith("SigBlk:"))
with open({log!r}, "a") as log:
    log.write(blocked + "\\n")
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {{"token": "t0k", "expirationTimestamp": "2000-01-01T00:00:00Z"}}}}))
"""


def _kubeconfig(tmp: Path, server: str, log: Path) -> Path:
    plugin = tmp / "plugin.py"
    plugin.write_text(PLUGIN.format(python=sys.executable, log=str(log)))
    plugin.chmod(0o755)
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t", "namespace": NS}}],
        "clusters": [{"name": "t", "cluster": {"server": server}}],
        "users": [{"name": "t", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                                   "command": str(plugin), "interactiveMode": "Never"}}}],
    }
    path = tmp / "kubeconfig"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("signum", STOPPING, ids=lambda s: signal.Signals(s).name)
def test_exec_plugins_started_from_watch_threads_do_not_inherit_blocked_signals(tmp_path: Path, signum: int) -> None:
    log = tmp_path / "sigblk.log"
    with matrix.cluster() as srv:
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
        env["KUBECONFIG"] = str(_kubeconfig(tmp_path, str(srv.url), log))
        proc = subprocess.Popen([cli_path(), "get", "rollout", "app-backend", "-w"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        try:
            out = matrix.Reader(proc.stdout)
            out.wait_for(lambda text: "app-backend" in text, 60, "the first frame")
            proc.send_signal(signum)
            assert proc.wait(60) == EXIT_CODES[signum]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    masks = [int(line, 16) for line in log.read_text().split()]
    # The main thread's reads and the five watch streams' lists and watches: a dozen starts.
    assert len(masks) >= 6, masks
    for mask in masks:
        assert not any(mask & (1 << (signum - 1)) for signum in STOPPING), f"{mask:016x}"


# The race, made certain: the worker thread inside signals_for_children sends the signal to
# itself, so it is the one that takes it, while the main thread waits with no timeout.
# Without the wake-up the main thread slept on (until the subprocess timeout).
STOLEN = """
import queue, signal, sys, threading, time
from kubectl_rollouts_py import errors
from kubectl_rollouts_py._threads import signals_for_children, threads_without_signals
from kubectl_rollouts_py.term.signals import stopping_raise_interrupted

def worker():
    time.sleep(0.5)  # the main thread is asleep in its wait by then (else it would notice anyway)
    with signals_for_children():
        signal.pthread_kill(threading.get_ident(), {signum})
        time.sleep({plugin_seconds})  # the plugin still running

with stopping_raise_interrupted():
    try:
        with threads_without_signals():
            threading.Thread(target=worker, daemon=True).start()
        queue.SimpleQueue().get()  # no timeout: only a signal ends it
    except (errors.Interrupted, KeyboardInterrupt):
        print("stopped")
        sys.exit(0)
"""


@pytest.mark.parametrize("plugin_seconds", [0, 60], ids=["plugin done", "plugin still running"])
@pytest.mark.parametrize("signum", STOPPING, ids=lambda s: signal.Signals(s).name)
def test_a_signal_taken_by_a_thread_starting_a_plugin_still_stops_the_main_thread(signum: int, plugin_seconds: int) -> None:
    # With the plugin still running, the main thread is woken while it runs, not when it
    # returns a minute later (which the timeout below would not wait for).
    script = textwrap.dedent(STOLEN.format(signum=int(signum), plugin_seconds=plugin_seconds))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=45,
                          stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout.strip()) == (0, "stopped"), done.stderr
    print(f"stopped after {time.monotonic() - started:.2f}s")
