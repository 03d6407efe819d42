"""A renderer is bounded: past the output cap it is killed before its output is held, past the
deadline it is killed, and a failure shows its own last error line."""

from __future__ import annotations

import sys

import pytest

from guardrails.errors import SourceError
from guardrails.model import Location
from guardrails.sources.render import run

WHERE = Location("charts/web")


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_output_is_returned() -> None:
    assert run.render_output(_python("print('kind: Pod')"), name="helm template", where=WHERE, rerun="helm template charts/web") == "kind: Pod\n"


def test_a_flood_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "MAX_OUTPUT", 1024 * 1024)
    # 1 GiB if let run: the reader stops (and kills it) at the cap.
    flood = _python("import sys\nfor _ in range(16384): sys.stdout.write('x' * 65536)")
    with pytest.raises(SourceError, match="wrote more than 1 MiB") as e:
        run.render_output(flood, name="helm template", where=WHERE, rerun="r")
    assert e.value.location == WHERE


def test_a_hang_is_cut_off() -> None:
    with pytest.raises(SourceError, match=r"did not finish in 0\.5s"):
        run.render_output(_python("import time; time.sleep(60)"), name="kubectl kustomize", where=WHERE, rerun="r", timeout=0.5)


def test_a_failure_shows_its_last_error_line() -> None:
    code = "import sys; sys.stderr.write('noise\\n' * 50000 + 'Error: bad values\\n'); sys.exit(1)"
    with pytest.raises(SourceError, match=r"helm template failed \(exit 1\): Error: bad values") as e:
        run.render_output(_python(code), name="helm template", where=WHERE, rerun="helm template charts/web")
    assert e.value.hint == "run `helm template charts/web` to see the whole error"
