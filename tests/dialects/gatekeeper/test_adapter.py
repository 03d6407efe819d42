from __future__ import annotations

import pathlib

import pytest

from guardrails.errors import RuleFileError
from guardrails.model import Action, Origin, Resource
from guardrails.ruletest import gator

TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sneedowner
spec:
  crd:
    spec:
      names:
        kind: K8sNeedOwner
      validation:
        openAPIV3Schema:
          type: object
          properties:
            key:
              type: string
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sneedowner
        violation[{"msg": msg}] {
          not input.review.object.metadata.labels[input.parameters.key]
          msg := sprintf("missing label %v", [input.parameters.key])
        }
"""


def constraint(params: str = "key: owner", extra: str = "") -> str:
    return f"""\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sNeedOwner
metadata:
  name: need-owner
spec:
{extra}  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
  parameters:
    {params}
"""


def write(tmp_path: pathlib.Path, name: str, text: str) -> pathlib.Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def pod(labels: dict[str, str] | None = None) -> Resource:
    return Resource({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": labels or {}}}, Origin("p.yaml"))


@pytest.mark.parametrize("order", ["template first", "constraint first", "one file"])
def test_templates_and_constraints_in_any_order(tmp_path: pathlib.Path, order: str) -> None:
    if order == "one file":
        paths = [write(tmp_path, "all.yaml", constraint() + "---\n" + TEMPLATE)]
    else:
        t, c = write(tmp_path, "t.yaml", TEMPLATE), write(tmp_path, "c.yaml", constraint())
        paths = [t, c] if order == "template first" else [c, t]
    (rule,) = gator.load_rules(paths)
    assert rule.name == "need-owner" and rule.policy == "K8sNeedOwner" and rule.dialect == "gatekeeper"
    assert [v.message for v in rule.check(pod())] == ["missing label owner"]
    assert list(rule.check(pod({"owner": "me"}))) == []


def test_missing_template_names_both(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([write(tmp_path, "c.yaml", constraint())])
    assert "'need-owner'" in e.value.message and "K8sNeedOwner" in e.value.message
    assert e.value.location is not None and e.value.location.path.endswith("c.yaml")


def test_invalid_parameters_point_at_the_line(tmp_path: pathlib.Path) -> None:
    t, c = write(tmp_path, "t.yaml", TEMPLATE), write(tmp_path, "c.yaml", constraint("key: [1]"))
    with pytest.raises(RuleFileError) as e:
        gator.load_rules([t, c])
    assert "spec.parameters.key" in e.value.message and "k8sneedowner" in e.value.message
    assert e.value.location is not None and e.value.location.line == 11


@pytest.mark.parametrize(
    ("extra", "action"),
    [
        ("", Action.DENY),
        ("  enforcementAction: dryrun\n", Action.AUDIT),
        ("  enforcementAction: warn\n", Action.WARN),
    ],
)
def test_enforcement_actions(tmp_path: pathlib.Path, extra: str, action: Action) -> None:
    t, c = write(tmp_path, "t.yaml", TEMPLATE), write(tmp_path, "c.yaml", constraint(extra=extra))
    (rule,) = gator.load_rules([t, c])
    assert rule.action is action


def test_unknown_enforcement_action_is_an_error(tmp_path: pathlib.Path) -> None:
    t = write(tmp_path, "t.yaml", TEMPLATE)
    c = write(tmp_path, "c.yaml", constraint(extra="  enforcementAction: block\n"))
    with pytest.raises(RuleFileError, match="enforcementAction 'block'"):
        gator.load_rules([t, c])


# Rego that does not compile -> what the load error says (each at the template's rego line).
BROKEN_REGO = [
    ("x := ][", "does not compile: expecting } (near rego line 2, column"),
    ("x := nosuchbuiltin(1)", "calls Rego builtins guardrails' Rego engine lacks: nosuchbuiltin"),
]


@pytest.mark.parametrize(("line", "says"), BROKEN_REGO, ids=["syntax", "unknown builtin"])
def test_rego_that_does_not_compile_is_a_load_error_at_the_template(tmp_path: pathlib.Path, line: str, says: str) -> None:
    """Never a warning whose constraints then skip (or error on) every object they match."""
    bad = TEMPLATE.replace("not input.review.object.metadata.labels[input.parameters.key]", line)
    t = write(tmp_path, "t.yaml", bad)
    c2 = constraint().replace("name: must-have-owner", "name: second")
    with pytest.raises(RuleFileError) as info:
        gator.load_rules([t, write(tmp_path, "c.yaml", constraint()), write(tmp_path, "d.yaml", c2)])
    error = info.value
    assert "k8sneedowner" in error.message and says in error.message, error.render()
    assert error.location is not None and error.location.path == str(t)
    assert error.location.line == bad.splitlines().index("      rego: |") + 1
    assert not error.more, "one error per template, not one per constraint"


def test_a_templates_print_never_reaches_stdout_or_stderr(tmp_path: pathlib.Path, capfd: pytest.CaptureFixture[str]) -> None:
    noisy = TEMPLATE.replace("not input.review.object.metadata.labels[input.parameters.key]",
                             'print("rego says hello")\n          not input.review.object.metadata.labels[input.parameters.key]')
    rules = gator.load_rules([write(tmp_path, "t.yaml", noisy), write(tmp_path, "c.yaml", constraint())], engine="rego")
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}
    for _ in range(3):
        assert list(rules[0].check(Resource(obj=obj, origin=Origin("p.yaml"))))
    out, err = capfd.readouterr()
    assert "hello" not in out and "hello" not in err


def test_duplicate_template_kind(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RuleFileError, match="again"):
        gator.load_rules([write(tmp_path, "a.yaml", TEMPLATE), write(tmp_path, "b.yaml", TEMPLATE)])
