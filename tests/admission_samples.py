"""The recorded AdmissionReviews in shared/admission, read from there (never copied), as envelopes."""

from __future__ import annotations

import json
import pathlib
from typing import Any

_REPO = pathlib.Path(__file__).resolve().parents[1]


def _shared() -> pathlib.Path:
    # shared/ sits beside the repository, or beside the folder of worktrees.
    for base in (_REPO.parent, *_REPO.parent.parents):
        if (base / "shared" / "DESIGN.md").is_file():
            return base / "shared"
    return _REPO.parent / "shared"


ADMISSION = _shared() / "admission"
NAMES = sorted(p.name for p in ADMISSION.glob("*.json"))


def review(name: str, *, api_version: str = "admission.k8s.io/v1") -> dict[str, Any]:
    """The sample as a whole AdmissionReview; bare requests are wrapped as the README says."""
    doc = json.loads((ADMISSION / name).read_text(encoding="utf-8"))
    if doc.get("kind") == "AdmissionReview":
        return doc
    return {"apiVersion": api_version, "kind": "AdmissionReview", "request": doc}
