"""The county as a small certificate authority for the reports' digital signatures.

A PDF signature (PAdES, services/report_seal.py) names its signer by an X.509
certificate; a checker trusts it when the certificate chains to a root it knows. Here
the root is the county hub: its certificate is self-signed with the hub's own Ed25519
signing key (the key that already signs its sync packages), and each device's
certificate binds the device's document key to its name and centre, signed by the hub.
The document key is ECDSA P-256, derived from the device's Ed25519 key
(`crypto.document_key`), because PDF readers check ECDSA but not Ed25519. The device
announces its public half in its enrolment request and in every package's manifest; a
device enrolled before holds a certificate of its Ed25519 key until then.

The certificates live on the `device` records (field `certificate`, PEM), which the hub
writes and sync brings to every workspace: any workspace can check any report without
a network, and a revoked device (its record says so, from a known moment) is flagged.
The hub's own document certificate is in its local state (its record holds the root).

No new secret exists: the document keys are derived from the devices' own signing keys.
Certificates are issued at enrolment; a device enrolled before they existed, or whose
document key became known since, gets one the next time the hub exports to it
(`ensure_issued`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from wushan_desk.domain import clock
from wushan_desk.services import records
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import crypto, identity

COUNTY = "巫山县人民政府教育督导室"
VALID_YEARS = 20  # a report signed today must still check in ten years' archives


def load(pem: str | None) -> x509.Certificate | None:
    """The certificate in `pem`, or None when there is none or it cannot be read."""
    if not pem:
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None


def county_root(ws: Workspace) -> x509.Certificate | None:
    """The hub's self-signed certificate, as this workspace knows it (None before the
    hub issued one, or in a workspace that never met a hub)."""
    for row in records.iter_records(ws, "device"):
        if row.get("role") == "hub":
            cert = load(row.get("certificate"))
            if cert is not None and cert.issuer == cert.subject:
                return cert
    return None


def device_certificate(ws: Workspace, device_id: str) -> x509.Certificate | None:
    row = identity.device_row(ws, device_id)
    return load(row.get("certificate")) if row else None


def ensure_issued(ws: Workspace) -> int:
    """At the hub: a certificate for the hub itself (the root), for the hub's own
    document key, and for every device's key that has none yet; returns how many were
    written. A device whose document key became known (its enrolment request, or any of
    its packages since) has its older certificate, of its Ed25519 key, replaced by one
    of that key. Call inside a transaction."""
    if identity.role(ws) != "hub":
        return 0
    written = 0
    hub = identity.device_row(ws, ws.device_id)
    if hub is None:
        return 0
    root = load(hub.get("certificate"))
    if root is None:
        pem = _root_pem(ws, hub)
        records.put(ws, "device", {"id": ws.device_id, "certificate": pem})
        written += 1
        root = x509.load_pem_x509_certificate(pem.encode("ascii"))
    own = crypto.document_key(identity.my_keys(ws)).public_key()
    if not certifies(load(ws.state(OWN_DOCUMENT_CERTIFICATE)), own, root):
        # named apart from the root: a certificate naming its issuer as its subject reads
        # as self-signed to a path builder
        hub_signer = hub | {"name": f"{(hub.get('name') or '县级中心库')[:58]}（文书签名）"}
        ws.set_state(OWN_DOCUMENT_CERTIFICATE, _device_pem(ws, hub_signer, root, own))
        written += 1
    for row in list(records.iter_records(ws, "device")):
        if row["id"] == ws.device_id or row.get("revoked") or not row.get("sign_public_key"):
            continue
        wanted = _wanted_key(ws, row)
        if not certifies(load(row.get("certificate")), wanted, root):
            records.put(ws, "device", {"id": row["id"],
                                       "certificate": _device_pem(ws, row, root, wanted)})
            written += 1
    return written


#: local state: the hub's certificate of its own document key (the hub's device record
#: holds the county root; this one is only ever embedded in the reports the hub signs)
OWN_DOCUMENT_CERTIFICATE = "document_certificate"


def own_document_certificate(ws: Workspace) -> x509.Certificate | None:
    """The certificate of this workspace's document key: a device's from its record, the
    hub's from its local state."""
    if identity.role(ws) == "hub":
        return load(ws.state(OWN_DOCUMENT_CERTIFICATE))
    return device_certificate(ws, ws.device_id)


def _wanted_key(ws: Workspace, row: dict[str, Any]) -> Any:
    """The key a device's certificate should be of: its document key once known, else
    its Ed25519 signing key (a device enrolled by an earlier version, until its next
    package arrives)."""
    announced = identity.announced_document_key(ws, row["id"])
    if announced:
        return crypto.document_public(announced)
    return crypto.ed25519_public(crypto.PublicKeys(sign=row["sign_public_key"],
                                                   encrypt=row.get("encrypt_public_key") or ""))


def certifies(cert: x509.Certificate | None, key: Any,
              root: x509.Certificate | None = None) -> bool:
    """Is `cert` a certificate of the public key `key` (issued by `root`, if given)?"""
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return cert is not None and cert.public_key().public_bytes(der, spki) == \
        key.public_bytes(der, spki) and (root is None or cert.issuer == root.subject)


def _name(common: str, centre: str | None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common[:64]),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, COUNTY)]
    if centre:
        attributes.insert(1, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, centre[:64]))
    return x509.Name(attributes)


def _builder(subject: x509.Name, issuer: x509.Name, key: Any,
             device_id: str) -> x509.CertificateBuilder:
    now = clock.now().astimezone(dt.UTC)
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(key)
            .serial_number(x509.random_serial_number())
            # from long before: a genuine report must check on a laptop whose clock
            # is behind (a reset battery), not look forged
            .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(now + dt.timedelta(days=365 * VALID_YEARS))
            # the device's id, so that a signature names the device record it came from
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"urn:wushan-desk:device:{device_id}")]),
                critical=False))


def _root_pem(ws: Workspace, hub: dict[str, Any]) -> str:
    key = crypto.ed25519_private(identity.my_keys(ws))
    name = _name(hub.get("name") or "县级中心库", None)
    cert = (_builder(name, name, key.public_key(), ws.device_id)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .sign(key, None))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _device_pem(ws: Workspace, row: dict[str, Any], root: x509.Certificate,
                public: Any) -> str:
    centre = identity.centre_name(ws, row.get("centre_id"))
    key = crypto.ed25519_private(identity.my_keys(ws))
    cert = (_builder(_name(row["name"], centre), root.subject, public, row["id"])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .sign(key, None))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=not ca,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def device_of(cert: x509.Certificate) -> str | None:
    """The device id a certificate was issued to (from its URI name)."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for uri in names.get_values_for_type(x509.UniformResourceIdentifier):
        if uri.startswith("urn:wushan-desk:device:"):
            return uri.rsplit(":", 1)[1]
    return None
