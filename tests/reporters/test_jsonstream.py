"""The streaming JSON encoder writes exactly what the standard encoder writes for the whole
document, whatever the items hold (non-ASCII, floats, huge integers, nesting)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails.reporters import jsonstream

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, max_size=5), st.booleans(), st.dictionaries(st.text(max_size=4), _VALUES, max_size=3))
def test_same_bytes_as_the_standard_encoder(items: list[Any], ensure_ascii: bool, beside: dict[str, Any]) -> None:
    doc: dict[str, Any] = {"version": 1, "runs": [{"beside": beside, "results": None, "after": "x"}]}
    out = io.StringIO()
    jsonstream.write(out, doc, ("runs", 0, "results"), iter(items), ensure_ascii=ensure_ascii)
    doc["runs"][0]["results"] = items
    assert out.getvalue() == json.dumps(doc, indent=2, ensure_ascii=ensure_ascii) + "\n"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], '{\n  "findings": []\n}\n'),
        ([{"a": "é"}], '{\n  "findings": [\n    {\n      "a": "\\u00e9"\n    }\n  ]\n}\n'),
        ([1e16], '{\n  "findings": [\n    1e+16\n  ]\n}\n'),  # Python's float text, not orjson's "1e16"
        ([{"\x7f": "\x7f"}], '{\n  "findings": [\n    {\n      "\\u007f": "\\u007f"\n    }\n  ]\n}\n'),  # DEL: ASCII, escaped
    ],
)
def test_edges(items: list[Any], expected: str) -> None:
    out = io.StringIO()
    jsonstream.write(out, {"findings": None}, ("findings",), items)
    assert out.getvalue() == expected


def test_items_are_consumed_lazily() -> None:
    """The writer pulls one item at a time: the stream has the first before the second exists."""
    out = io.StringIO()
    seen: list[str] = []

    def items() -> Any:
        yield {"n": 1}
        seen.append(out.getvalue())
        yield {"n": 2}

    jsonstream.write(out, {"findings": None}, ("findings",), items())
    assert '"n": 1' in seen[0] and '"n": 2' not in seen[0]
