"""`examples/terraform/`: the example plan fires every built-in Terraform rule (and reports what is
known only after apply as unknown); the compliant plan passes them all."""

from __future__ import annotations

import pathlib

from guardrails.model import Status
from guardrails.policy.load import RuleSet, load_rules
from guardrails.scan import scan

REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "terraform"


def terraform_rules() -> RuleSet:
    """The cloud library alone (the profile adds it to the default set, whose Kubernetes rules
    judge the plan's kubernetes_* resources: tests/sources/terraform/test_kubernetes.py)."""
    return load_rules(builtin=True, profiles=("terraform",)).only(["terraform-*"])


EXPECTED = {
    ('terraform-approved-registries', 'aws_ecs_task_definition.api', Status.FAIL),
    ('terraform-bucket-no-public-access', 'google_storage_bucket.inherited', Status.FAIL),
    ('terraform-cloudtrail-log-validation', 'aws_cloudtrail.plain', Status.FAIL),
    ('terraform-cloudtrail-multi-region', 'aws_cloudtrail.local', Status.FAIL),
    ('terraform-container-resources', 'aws_ecs_task_definition.api', Status.FAIL),
    ('terraform-db-backups', 'aws_db_instance.bare', Status.FAIL),
    ('terraform-db-backups', 'aws_db_instance.public', Status.FAIL),
    ('terraform-db-backups', 'aws_db_instance.short', Status.FAIL),
    ('terraform-db-backups', 'module.storage.aws_db_instance.main', Status.FAIL),
    ('terraform-db-not-public', 'aws_db_instance.public', Status.FAIL),
    ('terraform-deletion-protection', 'aws_db_instance.bare', Status.FAIL),
    ('terraform-deletion-protection', 'aws_db_instance.public', Status.FAIL),
    ('terraform-deletion-protection', 'aws_db_instance.short', Status.FAIL),
    ('terraform-deletion-protection', 'module.storage.aws_db_instance.main', Status.FAIL),
    ('terraform-encryption-at-rest', 'aws_db_instance.bare', Status.FAIL),
    ('terraform-encryption-at-rest', 'aws_db_instance.short', Status.FAIL),
    ('terraform-encryption-at-rest', 'aws_instance.bastion', Status.FAIL),
    ('terraform-encryption-at-rest', 'module.storage.aws_db_instance.main', Status.FAIL),
    ('terraform-encryption-at-rest', 'module.storage.aws_ebs_volume.data[0]', Status.FAIL),
    ('terraform-encryption-at-rest', 'module.storage.aws_ebs_volume.scratch', Status.UNKNOWN),
    ('terraform-encryption-in-transit', 'aws_elasticache_replication_group.plain', Status.FAIL),
    ('terraform-iam-no-admin-wildcard', 'aws_iam_policy.admin', Status.FAIL),
    ('terraform-imdsv2', 'aws_instance.bastion', Status.FAIL),
    ('terraform-imdsv2', 'aws_instance.v1', Status.FAIL),
    ('terraform-k8s-logging', 'aws_eks_cluster.plain', Status.FAIL),
    ('terraform-k8s-logging', 'aws_eks_cluster.public', Status.FAIL),
    ('terraform-k8s-logging', 'aws_eks_cluster.silent', Status.FAIL),
    ('terraform-k8s-private-endpoint', 'aws_eks_cluster.plain', Status.FAIL),
    ('terraform-k8s-private-endpoint', 'aws_eks_cluster.public', Status.FAIL),
    ('terraform-k8s-private-endpoint', 'aws_eks_cluster.silent', Status.FAIL),
    ('terraform-k8s-secrets-encryption', 'aws_eks_cluster.plain', Status.FAIL),
    ('terraform-k8s-secrets-encryption', 'aws_eks_cluster.public', Status.FAIL),
    ('terraform-k8s-secrets-encryption', 'aws_eks_cluster.silent', Status.FAIL),
    ('terraform-kms-key-rotation', 'aws_kms_key.static', Status.FAIL),
    ('terraform-no-public-ingress', 'aws_security_group.bastion', Status.FAIL),
    ('terraform-no-public-ingress', 'aws_security_group.web', Status.FAIL),
    ('terraform-no-public-ingress', 'aws_security_group_rule.rdp', Status.FAIL),
    ('terraform-no-public-rdp', 'aws_security_group_rule.rdp', Status.FAIL),
    ('terraform-s3-access-logging', 'aws_s3_bucket.assets', Status.FAIL),
    ('terraform-s3-access-logging', 'aws_s3_bucket.logs', Status.FAIL),
    ('terraform-s3-access-logging', 'google_storage_bucket.inherited', Status.FAIL),
    ('terraform-vpc-flow-logs', 'module.network.aws_vpc.this[0]', Status.FAIL),
    ('terraform-no-public-ssh', 'aws_security_group.bastion', Status.FAIL),
    ('terraform-registry-immutable-tags', 'aws_ecr_repository.mutable', Status.FAIL),
    ('terraform-registry-scan-on-push', 'aws_ecr_repository.unscanned', Status.FAIL),
    ('terraform-required-tags', 'aws_sqs_queue.legacy', Status.FAIL),
    ('terraform-required-tags', 'module.network.aws_vpc.this[0]', Status.UNKNOWN),
    ('terraform-s3-block-public-access', 'aws_s3_bucket_public_access_block.assets', Status.FAIL),
    ('terraform-s3-no-public-acl', 'aws_s3_bucket.assets', Status.FAIL),
    ('terraform-snapshot-not-public', 'aws_ami_launch_permission.everyone', Status.FAIL),
}


def test_example_plan_fires_every_terraform_rule() -> None:
    rules = terraform_rules()
    report = scan([str(EXAMPLES / "plan.json")], rules=rules, root=REPO)
    got = {(f.rule, f.origin.address, f.status) for f in report.findings}
    assert got == EXPECTED
    assert {r.name for r in rules.rules} == {rule for rule, _, status in EXPECTED if status is Status.FAIL}
    # deletions, no-ops and data sources are skipped unless asked for
    assert report.resources == 32
    everything = scan([str(EXAMPLES / "plan.json")], rules=rules, root=REPO, all_resources=True)
    assert everything.resources == 35
    assert ("terraform-s3-no-public-acl", "aws_s3_bucket.old_reports", Status.FAIL) in {
        (f.rule, f.origin.address, f.status) for f in everything.findings
    }


def test_example_plan_names_modules_and_their_sources() -> None:
    report = scan([str(EXAMPLES / "plan.json")], rules=terraform_rules(), root=REPO)
    sources = {f.origin.address: (f.origin.module, f.origin.module_source) for f in report.findings}
    assert sources["module.storage.aws_ebs_volume.data[0]"] == ("module.storage", "./modules/storage")
    assert sources["module.network.aws_vpc.this[0]"] == (
        "module.network",
        "terraform-aws-modules/vpc/aws (5.1.0)",
    )
    assert sources["aws_instance.bastion"] == (None, None)


def test_compliant_plan_passes_every_terraform_rule() -> None:
    report = scan([str(EXAMPLES / "compliant-plan.json")], rules=terraform_rules(), root=REPO)
    assert report.resources == 10
    assert report.findings == ()
