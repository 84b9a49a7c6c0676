"""`set image`: change container images in a pod template."""

from __future__ import annotations

import copy
from typing import Any

from kubectl_rollouts_py import errors

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def parse_assignment(text: str) -> tuple[str, str]:
    """`CONTAINER=IMAGE`; Argo rejects anything that does not split in exactly two."""
    parts = text.split("=")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise errors.UsageError(f'invalid image assignment "{text}": expected CONTAINER=IMAGE (CONTAINER may be *)')
    return parts[0], parts[1]


def with_image(obj: dict[str, Any], container: str, image: str) -> dict[str, Any]:
    """A copy of `obj` (Rollout or Deployment) whose matching containers use `image`.

    Every entry of initContainers, containers and ephemeralContainers named `container`
    (or every one, for `*`) is changed. Raises RolloutsError when none matches.
    """
    updated = copy.deepcopy(obj)
    template_spec = (((updated.get("spec") or {}).get("template") or {}).get("spec")) if isinstance(updated.get("spec"), dict) else None
    matched = False
    if isinstance(template_spec, dict):
        for key in CONTAINER_LISTS:
            entries = template_spec.get(key)
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if isinstance(entry, dict) and (container == "*" or entry.get("name") == container):
                    entry["image"] = image
                    matched = True
    if not matched:
        raise errors.RolloutsError(f'unable to find container named "{container}"')
    return updated
