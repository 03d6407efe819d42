"""At admission a Gatekeeper constraint speaks as Gatekeeper does: `[constraint] message`."""

from __future__ import annotations

import pytest

from guardrails.engine import Engine
from guardrails.reporters import admission as admission_reporter
from guardrails.ruletest import gator
from guardrails.sources import admission as admission_source
from tests import shared

LIB = shared.require_module("conformance", "gatekeeper", "general", "disallowedtags")


def review(image: str) -> dict[str, object]:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
           "spec": {"containers": [{"name": "app", "image": image}]}}
    request = {"uid": "u1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
               "resource": {"group": "", "version": "v1", "resource": "pods"},
               "operation": "CREATE", "namespace": "default", "name": "p", "object": pod, "userInfo": {"username": "me"}}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


@pytest.mark.parametrize("engine", ["native", "rego"])
def test_denial_names_the_constraint_first(engine: str) -> None:
    rules = gator.load_rules([LIB / "template.yaml", LIB / "samples" / "container-image-must-not-have-latest-tag" / "constraint.yaml"], engine=engine)
    request = admission_source.parse_review(review("nginx:latest"))
    resource = request.resource()
    assert resource is not None
    verdict = admission_reporter.judge(request, Engine(rules).evaluate(resource))
    assert not verdict.allowed and verdict.code == 403
    assert verdict.message == (
        "[container-image-must-not-have-latest-tag] container <app> uses a disallowed tag <nginx:latest>; "
        'disallowed tags are ["latest"]'
    )


def test_allowed_image_passes() -> None:
    rules = gator.load_rules([LIB / "template.yaml", LIB / "samples" / "container-image-must-not-have-latest-tag" / "constraint.yaml"])
    request = admission_source.parse_review(review("nginx:1.25"))
    resource = request.resource()
    assert resource is not None
    assert admission_reporter.judge(request, Engine(rules).evaluate(resource)).allowed


def test_findings_carry_the_kind_and_constraint_id() -> None:
    """A constraint's id is `ConstraintKind/name`: two kinds may each have a constraint of one name."""
    rules = gator.load_rules([LIB / "template.yaml", LIB / "samples" / "container-image-must-not-have-latest-tag" / "constraint.yaml"])
    request = admission_source.parse_review(review("nginx:latest"))
    resource = request.resource()
    assert resource is not None
    (finding,) = Engine(rules).evaluate(resource)
    assert (finding.rule, finding.name) == ("K8sDisallowedTags/container-image-must-not-have-latest-tag",
                                            "container-image-must-not-have-latest-tag")
