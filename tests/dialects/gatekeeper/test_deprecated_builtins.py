"""OPA's deprecated builtins, which Gatekeeper still runs and older library templates call
(`re_match` in the library's earlier allowedrepos, `any`/`all` in earlier psp templates): each
evaluates as OPA documents it, never as a load error or a crash."""

from __future__ import annotations

import pathlib

import pytest

from guardrails.dialects.gatekeeper import rewrite
from guardrails.model import Origin, Resource
from guardrails.ruletest import gator

TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sold
spec:
  crd:
    spec:
      names:
        kind: K8sOld
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sold
        # re_match( in a comment stays as it is
        violation[{"msg": msg}] {
          {expr}
          msg := "re_match(x) any( all( fired"
        }
"""
CONSTRAINT = """\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sOld
metadata:
  name: old
"""
OBJ = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": {"a": "x", "b": "y"}},
       "spec": {"ips": ["10.0.0.0/8"]}}


@pytest.mark.parametrize(("expr", "fires"), [
    ('re_match("^web-[0-9]+$", input.review.object.metadata.name)', True),
    ('re_match("^db-", input.review.object.metadata.name)', False),
    ("any([false, true])", True),
    ("any([false, false])", False),
    ("any({false, true})", True),
    ("not any([])", True),  # OPA: any of nothing is false
    ("all([true, true])", True),
    ("all([true, false])", False),
    ("all([])", True),  # OPA: all of nothing is true
    ('count(set_diff({"a", "b", "c"}, {"b"})) == 2', True),
    ('cast_array({"b", "a"}) == ["a", "b"]', True),
    ('cast_set(["a", "a", "b"]) == {"a", "b"}', True),
    ('cast_string("s") == "s"', True),
    ("cast_boolean(true)", True),
    ("cast_object({\"k\": 1}).k == 1", True),
    ("cast_null(null) == null", True),
    ('net.cidr_overlap(input.review.object.spec.ips[0], "10.1.2.3")', True),
    ('net.cidr_overlap("192.168.0.0/16", "10.1.2.3")', False),
])
@pytest.mark.parametrize("engine", ["rego"])
def test_deprecated_builtins_mean_what_they_meant(tmp_path: pathlib.Path, expr: str, fires: bool, engine: str) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE.replace("{expr}", expr))
    (tmp_path / "c.yaml").write_text(CONSTRAINT)
    (rule,) = gator.load_rules([tmp_path / "t.yaml", tmp_path / "c.yaml"], engine=engine)
    messages = [v.message for v in rule.check(Resource(OBJ, Origin("p.yaml")))]
    assert messages == (["re_match(x) any( all( fired"] if fires else [])


def test_a_module_defining_its_own_function_of_that_name_keeps_it() -> None:
    module = 'package p\nany(xs) = true { xs[_] == 1 }\nviolation[{"msg": "m"}] { any([1]) }\n'
    assert rewrite.rewrite(module).count("__gk_any") == 0
