"""model: how a rule's remediation splits into prose and code, and which references are links."""

from __future__ import annotations

import pytest

from guardrails.model import is_link, remediation_parts

FENCE = "```"


@pytest.mark.parametrize(
    ("text", "prose", "code"),
    [
        ("Add the label team.", "Add the label team.", ()),
        ("Add the\n  label team.\n", "Add the label team.", ()),  # a block scalar folds onto one line
        (f"Set it.\n{FENCE}hcl\nresource \"a\" \"b\" {{\n  x = 1\n}}\n{FENCE}", "Set it.", (("hcl", 'resource "a" "b" {\n  x = 1\n}'),)),
        (f"One.\n{FENCE}hcl\na = 1\n{FENCE}\nTwo.\n{FENCE}\nb = 2\n\nc = 3\n{FENCE}\n", "One. Two.", (("hcl", "a = 1"), ("", "b = 2\n\nc = 3"))),
        ("Use `image:1.4.2`, not ```latest```.", "Use `image:1.4.2`, not ```latest```.", ()),  # inline backticks are prose
        (f"Unclosed.\n{FENCE}hcl\na = 1\n", f"Unclosed. {FENCE}hcl a = 1", ()),  # no closing fence: all prose, nothing lost
    ],
)
def test_remediation_parts(text: str, prose: str, code: tuple[tuple[str, str], ...]) -> None:
    assert remediation_parts(text) == (prose, code)


@pytest.mark.parametrize(
    ("ref", "link"),
    [("https://example.com/x", True), ("http://example.com/x", True), ("CIS AWS Foundations v3.0.0 3.7", False), ("example.com", False)],
)
def test_is_link(ref: str, link: bool) -> None:
    assert is_link(ref) is link
