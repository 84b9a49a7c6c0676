"""`-o yaml` through the installed CLI writes what PyYAML's pure emitter writes, for the
hostile views too: libyaml serves the documents it writes the same (10,000 pods), the pure
emitter the others (escaped hostile strings, lone surrogates).

libyaml alone fails only on the lone surrogate; without it, it writes the hostile strings
(long and escaped, double-quoted) folded differently: the second evil-strings case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.hostile import scenarios as sc

from .standin import NS, run_cli


def evil_strings_without_surrogates() -> list[dict]:
    return json.loads(json.dumps(sc.evil_strings()).replace("\\ud800", ""))


@pytest.mark.parametrize("scenario", [sc.ten_thousand_pods, sc.evil_strings, evil_strings_without_surrogates],
                         ids=["10000-pods", "evil-strings", "evil-strings-no-surrogate"])
@pytest.mark.parametrize("args", [("get", "rollout", sc.ROLLOUT), ("list", "rollouts")], ids=["get", "list"])
def test_yaml_is_the_pure_emitters_yaml_of_the_json_document(tmp_path: Path, scenario, args) -> None:
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": scenario()}))
    as_json = run_cli("-n", NS, *args, "-o", "json", "--from-file", str(path), timeout=120)
    as_yaml = run_cli("-n", NS, *args, "-o", "yaml", "--from-file", str(path), timeout=120)
    assert (as_json.code, as_yaml.code, as_yaml.err) == (0, 0, "")
    document = json.loads(as_json.out)
    assert as_yaml.out == yaml.dump(document, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=False)
