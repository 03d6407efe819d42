"""enforcementAction and scopedEnforcementActions as Gatekeeper validates and applies them: the
webhook enforces the validation point's action, a scan the audit's (or gator's), `guardrails
test` of a gator suite gator's; a place a scoped action does not name judges nothing."""

from __future__ import annotations

import pathlib

import pytest

from guardrails.engine import Engine
from guardrails.errors import RuleFileError
from guardrails.model import Action, Origin, Resource, Status
from guardrails.ruletest import gator
from tests.dialects.gatekeeper.test_adapter import TEMPLATE, constraint, write

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": {}}
REQUEST = {"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
           "name": "p", "namespace": "default", "object": POD}


def scoped(*entries: tuple[str, str]) -> str:
    out = "  enforcementAction: scoped\n  scopedEnforcementActions:\n"
    for action, points in entries:
        out += f"    - action: {action}\n      enforcementPoints: [{points}]\n"
    return out


def verdicts(tmp_path: pathlib.Path, extra: str, point: str = "auto") -> tuple[Action | None, Action | None]:
    """The action of the one finding at admission and in a scan (None: no finding)."""
    t, c = write(tmp_path, "t.yaml", TEMPLATE), write(tmp_path, "c.yaml", constraint(extra=extra))
    engine = Engine(gator.load_rules([t, c], point=point))
    out = []
    for resource in (Resource(POD, Origin("r"), request=REQUEST), Resource(POD, Origin("p.yaml"))):
        found = engine.evaluate(resource)
        assert all(f.status is Status.FAIL for f in found)
        out.append(found[0].action if found else None)
    return out[0], out[1]


WEBHOOK, AUDIT, GATOR = "{name: validation.gatekeeper.sh}", "{name: audit.gatekeeper.sh}", "{name: gator.gatekeeper.sh}"


@pytest.mark.parametrize(("extra", "admission", "scan", "in_gator"), [
    ("", Action.DENY, Action.DENY, Action.DENY),
    ("  enforcementAction: dryrun\n", Action.AUDIT, Action.AUDIT, Action.AUDIT),
    ("  enforcementAction: warn\n", Action.WARN, Action.WARN, Action.WARN),
    (scoped(("warn", WEBHOOK), ("deny", AUDIT)), Action.WARN, Action.DENY, None),
    (scoped(("deny", WEBHOOK)), Action.DENY, None, None),
    (scoped(("dryrun", GATOR)), None, Action.AUDIT, Action.AUDIT),
    (scoped(("warn", "{name: '*'}")), Action.WARN, Action.WARN, Action.WARN),
    (scoped(("warn", WEBHOOK), ("deny", WEBHOOK)), Action.DENY, None, None),  # the strictest wins
    (scoped(("deny", "{name: vap.k8s.io}")), None, None, None),  # Gatekeeper's generated VAP: not ours
])
def test_each_place_enforces_its_own_action(tmp_path: pathlib.Path, extra: str, admission: Action | None,
                                            scan: Action | None, in_gator: Action | None) -> None:
    assert verdicts(tmp_path, extra) == (admission, scan)
    assert verdicts(tmp_path, extra, point="gator") == (in_gator, in_gator)


@pytest.mark.parametrize(("extra", "said", "line"), [
    ("  enforcementAction: block\n", "unrecognized enforcementAction 'block': use deny, dryrun, warn or scoped", 6),
    ("  enforcementAction: Deny\n", "(did you mean 'deny'? the value is case-sensitive)", 6),
    ("  enforcementAction: [deny]\n", "spec.enforcementAction must be a string", 6),
    ("  enforcementAction: scoped\n", "enforcementAction scoped needs scopedEnforcementActions", 6),
    ("  enforcementAction: scoped\n  scopedEnforcementActions: []\n", "must be a non-empty list", 7),
    (scoped(("block", WEBHOOK)), "unrecognized action 'block': use deny, dryrun or warn", 8),
    (scoped(("deny", "")), "no enforcementPoints: the action is enforced nowhere", 8),
    (scoped(("deny", "{name: validation.gatekeeper.io}")),
     "unrecognized enforcement point 'validation.gatekeeper.io': the constraint would not be enforced there", 9),
])
def test_an_invalid_enforcement_action_is_a_load_error_at_its_line(tmp_path: pathlib.Path, extra: str, said: str, line: int) -> None:
    t, c = write(tmp_path, "t.yaml", TEMPLATE), write(tmp_path, "c.yaml", constraint(extra=extra))
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([t, c])
    assert said in e.value.message
    assert e.value.location is not None and (e.value.location.path, e.value.location.line) == (str(c), line)


def test_a_gator_suite_enforces_only_what_names_gator(tmp_path: pathlib.Path) -> None:
    """gator's own suite has a scoped constraint without its point: no violations there."""
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    (tmp_path / "c.yaml").write_text(constraint(extra=scoped(("warn", WEBHOOK))))
    (tmp_path / "gator.yaml").write_text(constraint(extra=scoped(("warn", GATOR))))
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    case = {"name": "no-owner", "object": "pod.yaml", "assertions": [{"violations": "yes"}]}
    suite = {"tests": [{"name": "webhook-only", "template": "t.yaml", "constraint": "c.yaml", "cases": [case]},
                       {"name": "gator", "template": "t.yaml", "constraint": "gator.yaml", "cases": [case]}]}
    outcomes, errors = gator.run_suite(tmp_path / "suite.yaml", suite)
    assert errors == []
    assert [(o.test, o.ok, len(o.messages)) for o in outcomes] == [("webhook-only", False, 0), ("gator", True, 1)]
