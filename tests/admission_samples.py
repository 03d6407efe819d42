"""The recorded AdmissionReviews in shared/admission, read from there (never copied), as envelopes."""

from __future__ import annotations

import json
from typing import Any

from tests import shared

NAMES = shared.names("admission", pattern="*.json")


def review(name: str, *, api_version: str = "admission.k8s.io/v1") -> dict[str, Any]:
    """The sample as a whole AdmissionReview; bare requests are wrapped as the README says."""
    doc = json.loads(shared.require("admission", name).read_text(encoding="utf-8"))
    if doc.get("kind") == "AdmissionReview":
        return doc
    return {"apiVersion": api_version, "kind": "AdmissionReview", "request": doc}
