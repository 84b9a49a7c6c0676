"""Glyphs and colours of the Argo Rollouts kubectl plugin, and whether to use colour at all."""

from __future__ import annotations

from kubectl_rollouts_py._frozen import frozen

ESC = "\x1b"

ROLLOUT_ICONS = {
    "Progressing": "◌",
    "Paused": "॥",
    "Healthy": "✔",
    "Degraded": "✖",
    "Error": "⚠",
    "InvalidSpec": "⚠",
    "Unknown": "?",
    "ScaledDown": "•",
}
REPLICA_SET_ICONS = {"Progressing": "◌", "Healthy": "✔", "ReplicaFailure": "✖", "ScaledDown": "•"}
ANALYSIS_ICONS = {"Successful": "✔", "Inconclusive": "?", "Failed": "✖", "Error": "⚠", "Running": "◌", "Pending": "◷"}

GLYPH_ROLLOUT = "⟳"
GLYPH_REVISION = "#"
GLYPH_REPLICA_SET = "⧉"
GLYPH_POD = "□"
GLYPH_JOB = "⊞"
GLYPH_EXPERIMENT = "Σ"
GLYPH_ANALYSIS_RUN = "α"

_ICON_COLOURS = {"◷": 33, "?": 33, "◌": 94, "⚠": 31, "✖": 31, "✔": 32}
_TAG_COLOURS = {"canary": 33, "stable": 32, "active": 32, "preview": 94, "ping": 94, "pong": 94}
_PHASE_COLOURS = {"Pending": 94, "Running": 94}


def pod_icon(status: str) -> str:
    """The pod status glyph: the first matching rule wins, in Argo's order."""
    if status.startswith("Init:"):
        return "◌"
    if status.startswith(("Signal:", "ExitCode:")):
        return "✖"
    if status.endswith("Error") or status.startswith("Err"):
        return "⚠"
    return {
        "Pending": "◌",
        "Terminating": "◌",
        "ContainerCreating": "◌",
        "Running": "✔",
        "Completed": "✔",
        "Failed": "✖",
        "InvalidImageName": "✖",
        "CrashLoopBackOff": "✖",
        "ImagePullBackOff": "⚠",
        "RegistryUnavailable": "⚠",
        "Unknown": "?",
    }.get(status, " ")


@frozen
class Style:
    """How to paint: colour on or off. With colour, every painted string is wrapped in
    `ESC[<code>m … ESC[0m`, code 0 included, exactly as Argo does."""

    colour: bool = False

    def paint(self, code: int, value: str) -> str:
        if not self.colour:
            return value
        return f"{ESC}[{code}m{value}{ESC}[0m"

    def icon(self, glyph: str) -> str:
        return self.paint(_ICON_COLOURS.get(glyph, 0), glyph)

    def tag(self, tag: str) -> str:
        return self.paint(_TAG_COLOURS.get(tag, 0), tag)

    def phase_name(self, phase: str, name: str) -> str:
        """Experiment, AnalysisRun and Job names take their phase's colour."""
        return self.paint(_PHASE_COLOURS.get(phase, 0), name)

    def replica_set_name(self, tags: tuple[str, ...], name: str) -> str:
        """Wrapped once per role tag, innermost first (stable+active: two green wraps)."""
        for tag in tags:
            if tag in _TAG_COLOURS:
                name = self.paint(_TAG_COLOURS[tag], name)
        return name


PLAIN = Style(colour=False)
