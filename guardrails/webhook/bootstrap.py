"""In a cluster: replicas converge on one CA through one Secret, and the caBundle of our
ValidatingWebhookConfiguration is patched to trust it.

- Secret: read it; if absent, create it with a fresh CA; on 409 (another replica created it
  first) read the winner's. Every replica then issues its own leaf from the shared CA.
- CA rotation: when the CA nears expiry a new one is written with the Secret's
  resourceVersion (409: someone else rotated, read theirs). The bundle keeps the old CA until
  it expires, so leaves it signed stay trusted meanwhile.
- caBundle: a JSON patch of only the webhooks whose bundle differs; nothing sent when all agree.

Uses the official `kubernetes` client; tests drive it against a server implementing the API's
documented contract for these endpoints.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import logging
from collections.abc import Callable
from typing import Any

from guardrails import ConfigError
from guardrails.webhook import certs, logs

__all__ = ["ClusterCA", "cluster_ca", "converge_ca", "in_cluster_clients", "patch_ca_bundle"]

CA_CERT, CA_KEY, BUNDLE = "ca.crt", "ca.key", "bundle.crt"
_ATTEMPTS = 5


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _status(e: Exception) -> int | None:
    status = getattr(e, "status", None)
    return status if isinstance(status, int) else None


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterCA:
    ca: certs.KeyPair
    bundle: bytes  # every CA still trusted, newest first


def _secret_body(name: str, namespace: str, ca: certs.KeyPair, bundle: bytes, resource_version: str | None) -> Any:
    from kubernetes import client

    meta = client.V1ObjectMeta(
        name=name, namespace=namespace, resource_version=resource_version,
        labels={"app.kubernetes.io/name": "guardrails", "app.kubernetes.io/component": "webhook-ca"},
    )
    data: dict[str, bytes | str] = {CA_CERT: _b64(ca.cert_pem), CA_KEY: _b64(ca.key_pem), BUNDLE: _b64(bundle)}
    return client.V1Secret(api_version="v1", kind="Secret", metadata=meta, type="Opaque", data=data)


def _from_secret(secret: Any) -> ClusterCA:
    data = secret.data or {}
    try:
        ca = certs.KeyPair(base64.b64decode(data[CA_CERT]), base64.b64decode(data[CA_KEY]))
        bundle = base64.b64decode(data.get(BUNDLE) or data[CA_CERT])
    except (KeyError, ValueError) as e:
        raise ValueError(f"Secret {secret.metadata.name!r} does not hold a CA ({e})") from None
    return ClusterCA(ca, bundle)


def converge_ca(
    core: Any,
    namespace: str,
    name: str,
    *,
    make_ca: Callable[[], certs.KeyPair],
    rotate_before: datetime.timedelta,
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
) -> ClusterCA:
    """The CA every replica shares, creating or rotating it in the Secret as needed."""
    from kubernetes.client.exceptions import ApiException

    for _ in range(_ATTEMPTS):
        try:
            secret = core.read_namespaced_secret(name, namespace)
        except ApiException as e:
            if _status(e) != 404:
                raise
            ca = make_ca()
            shared = ClusterCA(ca, certs.bundle([ca.cert_pem], now=now()))
            try:
                core.create_namespaced_secret(namespace, _secret_body(name, namespace, ca, shared.bundle, None))
            except ApiException as e2:
                if _status(e2) == 409:  # another replica won the race: use its CA
                    continue
                raise
            logs.event(logging.INFO, "created the shared webhook CA", secret=f"{namespace}/{name}")
            return shared
        current = _from_secret(secret)
        if current.ca.not_after - now() > rotate_before:
            return ClusterCA(current.ca, certs.bundle([current.ca.cert_pem, current.bundle], now=now()))
        new = make_ca()
        rotated = ClusterCA(new, certs.bundle([new.cert_pem, current.bundle], now=now()))
        body = _secret_body(name, namespace, new, rotated.bundle, secret.metadata.resource_version)
        try:
            core.replace_namespaced_secret(name, namespace, body)
        except ApiException as e:
            if _status(e) == 409:  # rotated by another replica meanwhile: read theirs
                continue
            raise
        logs.event(logging.INFO, "rotated the shared webhook CA", secret=f"{namespace}/{name}")
        return rotated
    raise ConfigError(f"could not agree on the CA in Secret {namespace}/{name} after {_ATTEMPTS} attempts")


def patch_ca_bundle(admission: Any, name: str, bundle: bytes) -> int:
    """Set caBundle on every webhook of the configuration; returns how many were changed."""
    from kubernetes.client.exceptions import ApiException

    want = _b64(bundle)
    for _ in range(_ATTEMPTS):
        config = admission.read_validating_webhook_configuration(name)
        ops: list[dict[str, Any]] = []
        for i, hook in enumerate(config.webhooks or []):
            have = hook.client_config.ca_bundle if hook.client_config is not None else None
            if have != want:
                op = "replace" if have else "add"
                ops.append({"op": op, "path": f"/webhooks/{i}/clientConfig/caBundle", "value": want})
        if not ops:
            return 0
        # Paths are list indexes: the test op makes a concurrent edit fail the patch, and we
        # read again rather than patch the wrong webhook.
        version = {"op": "test", "path": "/metadata/resourceVersion", "value": config.metadata.resource_version}
        try:
            admission.patch_validating_webhook_configuration(
                name, [version, *ops], _content_type="application/json-patch+json"
            )
        except ApiException as e:
            if _status(e) in (409, 422):
                continue
            raise
        logs.event(logging.INFO, "patched caBundle", webhook_configuration=name, webhooks=len(ops))
        return len(ops)
    raise ConfigError(f"could not patch the caBundle of {name!r} after {_ATTEMPTS} attempts")


def in_cluster_clients() -> tuple[Any, Any]:
    from kubernetes import client, config

    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException as e:
        raise ConfigError(f"--in-cluster: no in-cluster Kubernetes credentials ({e})",
                          hint="run inside a pod with a service account, or give --tls-cert/--tls-key") from None
    api = client.ApiClient()
    return client.CoreV1Api(api), client.AdmissionregistrationV1Api(api)


def cluster_ca(settings: Any, *, clients: tuple[Any, Any] | None = None) -> certs.KeyPair:
    """Converge on the shared CA and make the webhook configuration trust it; returns the CA.

    Called at start-up and again periodically: it also repairs a caBundle that was reset.
    """
    from kubernetes.client.exceptions import ApiException

    core, admission = clients or in_cluster_clients()
    try:
        return _converge_and_patch(settings, core, admission)
    except ApiException as e:
        raise ConfigError(
            f"Kubernetes API refused {e.status} {e.reason}: {_api_message(e)}",
            hint="check the service account's RBAC in deploy/rbac.yaml",
        ) from None


def _api_message(e: Any) -> str:
    import json

    try:
        return str(json.loads(e.body).get("message", "")) or str(e.reason)
    except (TypeError, ValueError, AttributeError):
        return str(e.reason)


def _converge_and_patch(settings: Any, core: Any, admission: Any) -> certs.KeyPair:
    shared = converge_ca(
        core, settings.namespace, settings.ca_secret,
        make_ca=lambda: certs.generate_ca(lifetime=settings.ca_lifetime),
        # Rotate while a full leaf lifetime is left, so no leaf outlives the CA that signed it.
        rotate_before=settings.leaf_lifetime * 2,
    )
    patch_ca_bundle(admission, settings.webhook_config, shared.bundle)
    return shared.ca
