"""The county as a small certificate authority for the reports' digital signatures.

A PDF signature (PAdES, services/report_seal.py) names its signer by an X.509
certificate; a checker trusts it when the certificate chains to a root it knows. Here
the root is the county hub: its certificate is self-signed with the hub's own Ed25519
signing key (the key that already signs its sync packages), and each device's
certificate binds the device's Ed25519 signing key to its name and centre, signed by the
hub. Both live on the `device` records (field `certificate`, PEM), which the hub writes
and sync brings to every workspace: any workspace can check any report without a
network, and a revoked device (its record says so, from a known moment) is flagged.

No new secret exists: the keys are the devices' own signing keys. Certificates are
issued at enrolment; a device enrolled before they existed gets one the next time the
hub exports to it (`ensure_issued`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
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
    """At the hub: a certificate for the hub itself (the root) and for every device that
    has none yet; returns how many were written. Call inside a transaction."""
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
    for row in list(records.iter_records(ws, "device")):
        if row["id"] == ws.device_id or row.get("revoked") or row.get("certificate"):
            continue
        if not row.get("sign_public_key"):
            continue
        records.put(ws, "device", {"id": row["id"], "certificate": _device_pem(ws, row, root)})
        written += 1
    return written


def _name(common: str, centre: str | None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common[:64]),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, COUNTY)]
    if centre:
        attributes.insert(1, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, centre[:64]))
    return x509.Name(attributes)


def _builder(subject: x509.Name, issuer: x509.Name, key: Ed25519PublicKey,
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


def _device_pem(ws: Workspace, row: dict[str, Any], root: x509.Certificate) -> str:
    public = crypto.ed25519_public(crypto.PublicKeys(sign=row["sign_public_key"],
                                                     encrypt=row.get("encrypt_public_key") or ""))
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
