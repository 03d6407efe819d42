"""External tools the tests run for real (kubectl, kustomize), found in one place.

A missing tool skips with one reason naming how to install it; under CI=true it fails instead,
so a CI image without the tool can never turn those tests into silent passes.
"""

from __future__ import annotations

import os
import shutil

import pytest

INSTALL = {
    "kubectl": "apt-get install kubectl (Debian) or make system-deps",
}


def require(tool: str) -> str:
    """The tool's path, or a skip (a failure under CI=true) saying how to get it."""
    path = shutil.which(tool)
    if path:
        return path
    reason = f"{tool} is not on PATH ({INSTALL.get(tool, 'install it')}); the expected values come from it"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
