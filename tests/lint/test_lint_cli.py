"""`lint` end to end through the installed CLI: clean files, bad input, usage errors, help,
and references looked up in saved objects (--cluster-lookup --from-file)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
DOCUMENTED = sorted((CASES / "documented").iterdir())
EXAMPLE = ROOT / "examples" / "app-backend-canary.yaml"


def lint(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kubectl-rollouts_py", "lint", *args], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False, cwd=cwd)


def test_the_app_backend_example_is_clean() -> None:
    result = lint("-f", str(EXAMPLE))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda p: p.name)
def test_argos_documented_examples_are_clean(path: Path) -> None:
    result = lint("-f", str(path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_documented_examples_hold_every_reference_they_make() -> None:
    args = [arg for path in DOCUMENTED for arg in ("-f", str(path))]
    result = lint(*args, "--require-references")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_references_looked_up_in_saved_objects(tmp_path: Path) -> None:
    result = lint("-f", str(EXAMPLE), "--require-references")
    assert result.returncode == 1
    assert result.stderr == ('Error: rollout/app-backend: spec.strategy.canary.canaryService: Not found: "app-backend-canary": '
                             'no Service "app-backend-canary" in the files\n')
    assert len(result.stdout.splitlines()) == 3
    saved = tmp_path / "cluster.yaml"
    saved.write_text("".join(f"""---
apiVersion: v1
kind: Service
metadata: {{name: app-backend-{role}, namespace: ithome}}
spec: {{selector: {{app: app-backend}}}}
""" for role in ("canary", "stable")))
    result = lint("-f", str(EXAMPLE), "--require-references", "--cluster-lookup", "--from-file", str(saved), "-n", "ithome")
    assert result.returncode == 1
    assert result.stdout == ('rollout/app-backend: spec.strategy.canary.analysis.templates[0].templateName: Not found: '
                             f'"success-rate": no AnalysisTemplate "success-rate" in the files or in files: {saved}\n')
    # Argo's documented success-rate template wants a service-name argument app-backend does not pass.
    documented = CASES / "documented" / "prometheus-success-rate.yaml"
    result = lint("-f", str(EXAMPLE), "-f", str(documented), "--require-references", "--cluster-lookup", "--from-file", str(saved))
    assert (result.returncode, result.stdout) == (1, 'rollout/app-backend: spec.strategy.canary.analysis.templates: '
                                                     'Invalid value: "templateNames: [success-rate]": args.service-name was not resolved\n')
    template = tmp_path / "success-rate.yaml"
    template.write_text(documented.read_text().replace("service-name", "canary-hash"))
    result = lint("-f", str(EXAMPLE), "-f", str(template), "--require-references", "--cluster-lookup", "--from-file", str(saved))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_stdin_and_files_together() -> None:
    result = lint("-f", "-", "-f", str(CASES / "documented" / "analysis-templates.yaml"), "--require-references",
                  stdin=(CASES / "documented" / "rollout-experiment-step.yaml").read_text())
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def one_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("Error:")] == [lines[-1]]
    assert "Traceback" not in result.stderr
    return lines[-1]


def test_missing_file() -> None:
    assert one_error(lint("-f", "/no/such/rollout.yaml")) == "Error: cannot read /no/such/rollout.yaml: no such file or directory"


def test_a_directory(tmp_path: Path) -> None:
    assert one_error(lint("-f", str(tmp_path))).startswith(f"Error: cannot read {tmp_path}: ")


def test_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: Rollout\nspec: [\n")
    assert one_error(lint("-f", str(path))).startswith(f"Error: cannot parse {path}: line ")


def test_not_an_object() -> None:
    assert one_error(lint("-f", "-", stdin="just text\n")) == (
        "Error: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type "
        "map[string]interface {}")


def test_a_yaml_bomb_is_one_error(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join('*' + chr(96 + i) for _ in range(10))}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert one_error(lint("-f", str(path))) == f"Error: cannot parse {path}: aliases expand to more than 1000000 nodes"


def test_deep_nesting_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"kind": "AnalysisTemplate", "apiVersion": "argoproj.io/v1alpha1", "spec": {"metrics": [{"provider": {"web": '
                    + "[" * 900 + "]" * 900 + "}}]}}")
    assert one_error(lint("-f", str(path))).startswith("Error: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Error: required flag -f/--filename not given"),
        (("-f", "x.yaml", "--cluster-lookup"), "Error: --cluster-lookup needs --require-references"),
        (("--bogus",), "Error: No such option"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    assert one_error(lint(*args), code=2).startswith(message)


def test_help_has_examples_with_the_app_backend_canary() -> None:
    result = lint("--help")
    assert result.returncode == 0
    examples = result.stdout.split("Examples:", 1)[1]
    assert "lint -f examples/app-backend-canary.yaml" in examples
    assert "success-rate" in examples
    assert "Exit status: 0 clean; 1 problems found" in examples
    # The example the help gives works as it says, from the repository root.
    assert lint("-f", "examples/app-backend-canary.yaml", cwd=ROOT).returncode == 0
