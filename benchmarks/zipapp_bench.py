#!/usr/bin/env python3
"""Wall-time benchmark of the krew zipapp against the pip install (a script, not a test).

Builds the krew archive with plugin/build.py (or takes --archive), unpacks it into a
temporary folder, and with a fresh SHIV_ROOT measures:

1. the first run (`--help`), which unpacks the zipapp's site-packages and compiles them;
2. after it, interleaved rounds of `--help` and of `get rollout app-backend` against the
   project's stand-in API server, each through the zipapp and through the pip install
   (`kubectl-rollouts_py` beside this Python), with `kubectl get rollouts.argoproj.io
   app-backend -o json` (warm discovery cache) on the same server in every round: medians,
   the per-round ratios zipapp/pip (target: <= 1.5 each) and every figure as a ratio to kubectl.

The zipapp runs on a bare virtual environment of the pip install's own base interpreter
(no packages in it), as on a machine whose python3 has nothing installed: the same
interpreter as the pip install, without site-packages of the machine that the pip
install's venv does not see either. --python runs it on another interpreter instead.

    pip install . && python benchmarks/zipapp_bench.py
    python benchmarks/zipapp_bench.py --runs 30 --archive dist/kubectl-rollouts_py-0.1.0.tar.gz

Timings on a shared 2-core VM move by +-30% between runs: compare medians of several runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402  (benchmarks/bench.py: the stand-in server, the seed and the timing helpers)

RATIO_TARGET = 1.5


def build_archive() -> Path:
    done = subprocess.run([sys.executable, str(REPO / "plugin" / "build.py")], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("error: plugin/build.py failed")
    return Path(done.stdout.strip().splitlines()[-1])


def bare_python(cli: str, where: Path) -> str:
    """A virtual environment with nothing installed, of the pip install's base interpreter."""
    python = bench.script_python(cli) or sys.executable
    base = subprocess.run([python, "-c", "import sys; print(getattr(sys, '_base_executable', sys.executable))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True)
    return str(where / "bin" / "python")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="a built archive (default: run plugin/build.py)")
    parser.add_argument("--runs", type=int, default=20, help="interleaved rounds after the first run (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--python", help="the interpreter to run the zipapp with (default: a bare venv of the pip install's)")
    parser.add_argument("--cli", help=f"the pip-installed {bench.SCRIPT} (default: beside this python, else on PATH)")
    parser.add_argument("--kubectl", help="the kubectl to compare with (default: /usr/bin/kubectl)")
    args = parser.parse_args()

    cli = bench.find_cli(args.cli)
    kubectl = bench.find_kubectl(args.kubectl)
    archive = args.archive or build_archive()
    with tempfile.TemporaryDirectory(prefix="zipapp-bench-") as tmp:
        work = Path(tmp)
        python = args.python or bare_python(cli, work / "bare-python")
        with tarfile.open(archive) as tar:
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(work / "plugin", **extra)  # type: ignore[arg-type]
        app = str(work / "plugin" / "kubectl-rollouts_py")
        home = work / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIV_") and k not in ("KUBECONFIG", "XDG_CACHE_HOME")}
        env.update(SHIV_ROOT=str(work / "shiv-root"), NO_COLOR="1", HOME=str(home))
        version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"archive   {archive} ({archive.stat().st_size} bytes)")
        print(f"zipapp    {os.path.getsize(app)} bytes, run by {python} ({version})")
        print(f"pip       {cli} (python {bench.script_python(cli)})")
        print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}  cpus={os.cpu_count()}  "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        first = bench.timed([python, app, "--help"], env)
        unpacked = sum(f.stat().st_size for f in (work / "shiv-root").rglob("*") if f.is_file())
        print(f"first run: --help (unpack + compile)   {first:7.1f} ms   (unpacked {unpacked / 1e6:.0f} MB)")

        objects, namespace, origin = bench.load_seed([], "app-backend", "ithome")
        server = bench.Server("thread", objects, namespace, work)
        try:
            env["KUBECONFIG"] = str(server.kubeconfig)
            get = ["get", "rollout", "app-backend", "-n", namespace]
            theirs = [kubectl, "get", "rollouts.argoproj.io", "app-backend", "-n", namespace, "-o", "json",
                      "--cache-dir", str(work / "kube-cache")]
            commands = {
                "zipapp --help": [python, app, "--help"],
                "pip    --help": [cli, "--help"],
                "zipapp get rollout": [python, app, *get],
                "pip    get rollout": [cli, *get],
                "kubectl (B)": theirs,
            }
            if bench.output_of(commands["zipapp get rollout"], env) != bench.output_of(commands["pip    get rollout"], env):
                print("(!) the zipapp's get rollout output differs from the pip install's")
            print(f"\nserver {server.describe()}, seed {len(objects)} objects from {origin}")
            print(f"{args.runs} interleaved rounds after {args.warmup} warm-up")
            times = dict(zip(commands, bench.interleaved(list(commands.values()), env, args.runs, args.warmup)))
            reference = times["kubectl (B)"]
            for label, mine in times.items():
                ratios = [a / b for a, b in zip(mine, reference)]
                print(f"  {label:<20} {bench.summary(mine)}   {statistics.median(ratios):.2f}x B")
            print()
            for what in ("--help", "get rollout"):
                line, ratio = bench.ratio_line(f"zipapp/pip {what}", times[f"zipapp {what}"], times[f"pip    {what}"])
                print(f"{line}   target <= {RATIO_TARGET:.1f}: {bench.verdict(ratio <= RATIO_TARGET)}")
        finally:
            server.stop()
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
