"""Fixtures for webhook tests: generated certificates, a rule set, and the real server in a thread.

The server is uvicorn with TLS on 127.0.0.1, port 0 (httpx's TestServer pattern: no signal
handlers in a thread, poll `started`, set `should_exit`, join). Clients verify our CA.
"""

from __future__ import annotations

import dataclasses
import datetime
import pathlib
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
import uvicorn

from guardrails import CompiledRule, Resource, Violation
from guardrails.dialects.native import compile_native
from guardrails.policy.load import RuleSet
from guardrails.webhook import certs
from guardrails.webhook.namespaces import NamespaceLabels
from guardrails.webhook.rules import RuleStore
from guardrails.webhook.server import WebhookServer, build
from guardrails.webhook.settings import Settings
from guardrails.webhook.tls import ServingTLS
from tests.webhook.fake_apiserver import FakeAPI

DAY = datetime.timedelta(days=1)


def _rule(name: str, action: str, kinds: list[str], pattern: dict[str, Any], **match: Any) -> CompiledRule:
    spec = {"action": action, "severity": "high", "match": {"kinds": kinds, **match}, "pattern": pattern}
    return compile_native(name, spec, source=None)


def _boom(_: Resource) -> list[Violation]:
    raise KeyError("spec.missing")


# The rule set most server tests judge with: one of each action, a Pod rule that also covers
# controllers' templates, a DELETE rule and a rule whose check raises.
RULES: tuple[CompiledRule, ...] = (
    _rule("require-team", "deny", ["Deployment", "StatefulSet", "CronJob"], {"metadata": {"labels": {"team": "?*"}}}),
    _rule("no-privileged", "deny", ["Pod"], {"spec": {
        "=(initContainers)": [{"=(securityContext)": {"=(privileged)": "false"}}],
        "containers": [{"=(securityContext)": {"=(privileged)": "false"}}],
    }}),
    _rule("no-latest-tag", "deny", ["Pod"], {"spec": {"containers": [{"image": "!*:latest"}]}}),
    _rule("non-root-user", "warn", ["Pod"], {"spec": {"containers": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}),
    _rule("audit-loadbalancer", "audit", ["Service"], {"spec": {"type": "!LoadBalancer"}}),
    _rule("deletable-pods-only", "deny", ["Pod"], {"metadata": {"labels": {"deletable": "true"}}}, operations=["DELETE"]),
    dataclasses.replace(_rule("crashy", "deny", ["ConfigMap"], {"data": {"x": "?*"}}), check=_boom),
)


def static_store(rules: Sequence[CompiledRule] = RULES, waivers: Sequence[Any] = ()) -> RuleStore:
    """A RuleStore whose 'files' are the given compiled rules (for tests that do not reload)."""

    def loader(_paths: Sequence[str], **_: Any) -> RuleSet:
        return RuleSet(rules=tuple(rules), waivers=tuple(waivers))

    return RuleStore([], builtin=False, loader=loader)


@dataclasses.dataclass(frozen=True)
class TLSFiles:
    ca: certs.KeyPair
    dir: pathlib.Path

    @property
    def ca_file(self) -> pathlib.Path:
        return self.dir / "ca.crt"

    @property
    def cert(self) -> pathlib.Path:
        return self.dir / "tls.crt"

    @property
    def key(self) -> pathlib.Path:
        return self.dir / "tls.key"

    def issue(self, lifetime: datetime.timedelta = 30 * DAY) -> certs.KeyPair:
        """Write a fresh leaf over the serving files (the way cert-manager renews)."""
        leaf = certs.issue_leaf(self.ca, ["localhost"], lifetime=lifetime, ips=["127.0.0.1"])
        tmp_key, tmp_cert = self.dir / "tls.key.new", self.dir / "tls.crt.new"
        tmp_key.write_bytes(leaf.key_pem)
        tmp_cert.write_bytes(leaf.cert_pem)
        tmp_key.replace(self.key)
        tmp_cert.replace(self.cert)
        return leaf

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


# A rules folder that yields no rule is a start-up error; servers started as processes get this
# one rule, which judges only ConfigMaps and so never changes the Pod decisions they assert.
HARMLESS_RULE = """\
apiVersion: guardrails.dev/v1
kind: Rule
metadata: {name: configmaps-are-labelled}
spec:
  severity: low
  match: {kinds: [ConfigMap]}
  requiredLabels: [team]
"""


def rules_folder(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(exist_ok=True)
    (path / "configmaps.yaml").write_text(HARMLESS_RULE)
    return path


@pytest.fixture(scope="session")
def ca() -> certs.KeyPair:
    return certs.generate_ca(lifetime=365 * DAY)


@pytest.fixture
def tls_files(tmp_path: pathlib.Path, ca: certs.KeyPair) -> TLSFiles:
    files = TLSFiles(ca, tmp_path / "tls")
    files.dir.mkdir()
    files.ca_file.write_bytes(ca.cert_pem)
    files.issue()
    return files


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = dict(
        host="127.0.0.1", port=0, builtin=False, namespace="guardrails", watch_interval=0.1,
        read_timeout=1.0, header_timeout=1.0, drain_seconds=0.5,
    )
    base.update(overrides)
    return Settings(**base)


class Running:
    """A started WebhookServer in a thread, with an HTTPS client that trusts our CA."""

    def __init__(self, server: WebhookServer, ca_file: pathlib.Path) -> None:
        self.server = server
        self.state = server.state
        self.ca_file = ca_file
        self.thread = threading.Thread(target=server.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 15
        # uvicorn sets `started` inside the startup our server extends, before it reads the port.
        while not (self.server.started and self.server.port):
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("webhook server did not start")
            time.sleep(0.01)
        self.url = f"https://127.0.0.1:{self.server.port}"
        self.client = httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=str(self.ca_file)), timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def review(self, doc: Any) -> httpx.Response:
        return self.client.post("/validate", json=doc)

    def metric(self, name: str, **labels: str) -> float:
        """A sample's value from /metrics (0 when absent)."""
        from prometheus_client.parser import text_string_to_metric_families

        text = self.client.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return float(sample.value)
        return 0.0


ServerFactory = Callable[..., Running]
Clients = tuple[Any, Any]


class APIServer:
    def __init__(self, api: FakeAPI, tls: TLSFiles) -> None:
        config = uvicorn.Config(api.app, host="127.0.0.1", port=0, ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key),
                                log_config=None, access_log=False, lifespan="off")
        self.api, self.tls = api, tls
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]

    def clients(self) -> Clients:
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = f"https://127.0.0.1:{self.port}"
        cfg.ssl_ca_cert = str(self.tls.ca_file)
        cfg.api_key = {"BearerToken": "sa-token"}
        cfg.api_key_prefix = {"BearerToken": "Bearer"}
        api = client.ApiClient(cfg)
        return client.CoreV1Api(api), client.AdmissionregistrationV1Api(api)

    def stop(self) -> None:
        self.api.closing = True
        self.server.should_exit = True
        self.thread.join(10)



@pytest.fixture
def start(tls_files: TLSFiles) -> Iterator[ServerFactory]:
    """start(store=..., **settings) -> a Running server (stopped at teardown)."""
    running: list[Running] = []

    def factory(
        store: RuleStore | None = None, tls: ServingTLS | None = None, namespaces: NamespaceLabels | None = None,
        **overrides: Any,
    ) -> Running:
        settings = make_settings(tls_cert=str(tls_files.cert), tls_key=str(tls_files.key), **overrides)
        server = build(settings, rules=store or static_store(), tls=tls, namespaces=namespaces)
        r = Running(server, tls_files.ca_file).__enter__()
        running.append(r)
        return r

    yield factory
    for r in running:
        r.__exit__(None, None, None)


@pytest.fixture
def webhook(start: ServerFactory) -> Running:
    return start()
