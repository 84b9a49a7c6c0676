"""Shared test helpers: the scenario loader and golden-file comparison.

Scenarios (`tests/scenarios/<name>/`) hold one Kubernetes object per YAML file, the way the
Argo Rollouts kubectl plugin's own testdata does, plus `scenario.yaml`:

    description: what situation this is
    now: 2026-03-14T12:00:00Z          # the fixed clock every age is computed against
    target: {kind: Rollout, name: app-backend, namespace: ithome}
    related: [{kind: Rollout, name: checkout, namespace: ithome}]   # optional

Golden files (`tests/golden/<renderer>/<scenario>[.<variant>].txt`) hold renderer output
byte for byte, trailing spaces included (the Argo Rollouts kubectl plugin's tab writer pads every
aligned cell). In `.ansi` variants every ESC byte is written as the two characters `\\e` so a
reviewer can read the colour codes; nothing the renderers emit contains a literal `\\e`
(escape.clean writes ESC as `\\x1b`). `pytest --update-golden` rewrites the files from the
code; the diff must then be reviewed against the Argo plugin's output before it is committed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# Under CI, a skip is a failure: see tests/ci_no_skips.py.
pytest_plugins = ["tests.ci_no_skips"]

TESTS = Path(__file__).parent
SCENARIOS = TESTS / "scenarios"
GOLDEN = TESTS / "golden"
KINDS = ("Rollout", "ReplicaSet", "Pod", "AnalysisRun", "Experiment")
ESC = "\x1b"
VISIBLE_ESC = "\\e"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/ from the current renderers instead of comparing (review the diff!).",
    )


# --------------------------------------------------------------------------- the cache directory


@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """$XDG_CACHE_HOME points into the session's temporary directory, so no test (nor a CLI it
    runs with os.environ) writes the kubeconfig cache or view hints into the real ~/.cache."""
    directory = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(directory))
        yield directory


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Ref:
    kind: str
    name: str
    namespace: str


@dataclass
class Scenario:
    name: str
    description: str
    now: dt.datetime
    target: Ref
    related: tuple[Ref, ...]
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """All objects of `kind`, in file-name order (like an unsorted API list)."""
        return self.objects.get(kind, [])

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of(kind) if o.get("metadata", {}).get("name") == name]
        if len(found) != 1:
            raise LookupError(f"{self.name}: expected one {kind} named {name!r}, found {len(found)}")
        return found[0]

    def refs(self, kind: str) -> list[Ref]:
        """The target and related objects of `kind` (the ones a golden file is rendered for)."""
        return [r for r in (self.target, *self.related) if r.kind == kind]

    def rollout_view(self, name: str | None = None):  # type: ignore[no-untyped-def]
        from kubectl_rollouts_py.derive.rollout import build_rollout_view

        name = name or self.refs("Rollout")[0].name
        return build_rollout_view(
            self.get("Rollout", name),
            replica_sets=self.of("ReplicaSet"),
            pods=self.of("Pod"),
            analysis_runs=self.of("AnalysisRun"),
            experiments=self.of("Experiment"),
            now=self.now,
        )

    def experiment_view(self, name: str | None = None):  # type: ignore[no-untyped-def]
        from kubectl_rollouts_py.derive.rollout import build_experiment_view

        name = name or self.refs("Experiment")[0].name
        return build_experiment_view(
            self.get("Experiment", name),
            replica_sets=self.of("ReplicaSet"),
            pods=self.of("Pod"),
            analysis_runs=self.of("AnalysisRun"),
            now=self.now,
        )


def parse_now(value: Any) -> dt.datetime:
    # PyYAML turns an unquoted timestamp into a datetime already; a quoted one stays a str.
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _ref(raw: dict[str, Any]) -> Ref:
    return Ref(kind=raw["kind"], name=raw["name"], namespace=raw.get("namespace", "default"))


def scenario_names() -> list[str]:
    return sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=None)
def load_scenario_dir(name: str) -> Scenario:
    """Parse tests/scenarios/<name>/ (once; callers must not mutate the result)."""
    folder = SCENARIOS / name
    meta = yaml.load((folder / "scenario.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    scenario = Scenario(
        name=name,
        description=meta.get("description", ""),
        now=parse_now(meta["now"]),
        target=_ref(meta["target"]),
        related=tuple(_ref(r) for r in meta.get("related", ())),
    )
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "scenario.yaml":
            continue
        docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader) if d is not None]
        if len(docs) != 1:
            raise ValueError(f"{path}: one Kubernetes object per file, found {len(docs)}")
        obj = docs[0]
        kind = obj.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{path}: unexpected kind {kind!r}")
        scenario.objects.setdefault(kind, []).append(obj)
    return scenario


@pytest.fixture(scope="session")
def load_scenario() -> Callable[[str], Scenario]:
    """`load_scenario("app-backend-canary-step1")` -> Scenario (parsed once per session).

    Derivation must not mutate its input; tests that want to change an object deep-copy it.
    """
    return load_scenario_dir


# --------------------------------------------------------------------------- golden files


def to_visible(text: str) -> str:
    assert VISIBLE_ESC not in text, "rendered text contains a literal \\e; the .ansi encoding would be ambiguous"
    return text.replace(ESC, VISIBLE_ESC)


def _shown(line: str) -> str:
    """A diff line with the invisible made visible: ESC as `\\e`, any other raw control or
    format character as `⟦U+XXXX⟧`, and `$` where the line really ends."""
    body = line.rstrip("\n").replace(ESC, VISIBLE_ESC)
    body = "".join(f"⟦U+{ord(c):04X}⟧" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in body)
    return body + "$\n"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`golden("render_rollout/app-backend-healthy.txt", text)`: compare with the file, or
    rewrite it under --update-golden. `.ansi.txt` files are stored with ESC as `\\e`."""
    update = request.config.getoption("--update-golden")

    def check(relative: str, actual: str) -> None:
        path = GOLDEN / relative
        stored = to_visible(actual) if ".ansi." in path.name else actual
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(stored, encoding="utf-8", newline="")
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path.relative_to(TESTS)}; run pytest --update-golden and review it")
        with open(path, encoding="utf-8", newline="") as handle:
            expected = handle.read()
        if expected != stored:
            diff = difflib.unified_diff(
                [_shown(x) for x in expected.splitlines(keepends=True)],
                [_shown(x) for x in stored.splitlines(keepends=True)],
                fromfile=f"golden/{relative}",
                tofile="rendered",
            )
            pytest.fail("rendered output differs from the golden file ($ marks line ends):\n" + "".join(diff), pytrace=False)

    return check
