"""The digital signature (PAdES, by pyHanko) of a final report, and its check.

The printing device signs the whole PDF with its document key (ECDSA P-256, derived
from its Ed25519 key, which PDF readers such as Adobe Reader, WPS and poppler check) and
the certificate the county hub issued for that key (services/certificates.py); a device
whose certificate is still of its Ed25519 key signs with that until the new one comes.
Anyone holding the county's device records (every workspace, by sync) can then tell
whether a file is byte for byte what the device signed, which device and centre signed
it and when, and whether that device had been revoked by then: no network, no outside
authority. A PDF reader shows the signature valid, from an issuer it does not know.

Drafts are not signed: a draft is not a document anyone should rely on. A workspace
without a certificate (a demo county, a device whose certificate has not arrived yet)
prints unsigned reports, which `check` reports as such.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wushan_desk.domain import clock
from wushan_desk.domain.hlc import Stamp
from wushan_desk.services import certificates
from wushan_desk.store import changes
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import crypto, identity

FIELD = "WushanSignature"


def _quiet_pyhanko_import() -> None:
    """pyHanko imports cryptography's DSA module, which warns on every start that DSA is
    deprecated; the app never uses DSA, and the warning would reach the CLI's users."""
    import warnings

    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings("ignore", message="DSA is deprecated",
                            category=CryptographyDeprecationWarning)

#: (pdf bytes) -> the same PDF with a signature appended (an incremental update)
Sealer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class SealInfo:
    """Who signs this workspace's reports, for the stamp printed on them."""

    device_name: str
    centre: str | None
    issuer: str  # the county root's name


def sealer_for(ws: Workspace) -> tuple[Sealer, SealInfo] | None:
    """The function that signs this workspace's final reports, and whom it names; None
    when the workspace has no keys or no certificate from the county yet."""
    keys = identity.keystore(ws).load()
    root = certificates.county_root(ws)
    if keys is None or root is None:
        return None
    key: Any = crypto.document_key(keys)
    cert = certificates.own_document_certificate(ws)
    if cert is None or not certificates.certifies(cert, key.public_key()):
        # a certificate of the Ed25519 key, issued before the document key was known
        # (a device enrolled by an earlier version, a hub not yet upgraded by an export)
        key, cert = crypto.ed25519_private(keys), certificates.device_certificate(
            ws, ws.device_id)
        if cert is None or not certificates.certifies(cert, key.public_key()):
            return None
    row = identity.device_row(ws, ws.device_id) or {}
    info = SealInfo(row.get("name") or "本机", identity.centre_name(ws, row.get("centre_id")),
                    _common_name(root))

    def seal(pdf: bytes) -> bytes:
        return _sign(pdf, key, cert, root)

    return seal, info


def _sign(pdf: bytes, key: object, cert: x509.Certificate, root: x509.Certificate) -> bytes:
    _quiet_pyhanko_import()
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    private = key.private_bytes(der, serialization.PrivateFormat.PKCS8,  # type: ignore[attr-defined]
                                serialization.NoEncryption())
    chain = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in (cert, root)]
    signer = signers.SimpleSigner(signing_cert=chain[0],
                                  signing_key=asn1_keys.PrivateKeyInfo.load(private),
                                  cert_registry=SimpleCertificateStore.from_certs(chain[1:]))
    meta = signers.PdfSignatureMetadata(field_name=FIELD, reason="督导文书定稿",
                                        location="重庆市巫山县",
                                        subfilter=SigSeedSubFilter.PADES)
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                           new_field_spec=SigFieldSpec(FIELD))
    return out.getvalue()


@dataclass(frozen=True)
class SealCheck:
    """What a report's digital signature says. `present` False: the file is unsigned
    (the other fields are then empty)."""

    present: bool
    intact: bool = False  # the signed bytes are unchanged, and nothing was added after
    trusted: bool = False  # the certificate chains to the county's root known here
    device_id: str | None = None
    signer: str | None = None  # the certificate's name (the device)
    centre: str | None = None
    signed_at: dt.datetime | None = None  # as the signing device's clock said
    revoked_at: dt.datetime | None = None  # the device's revocation, if known here

    @property
    def revoked_before_signing(self) -> bool:
        return bool(self.revoked_at and self.signed_at and self.revoked_at <= self.signed_at)

    @property
    def ok(self) -> bool:
        return self.present and self.intact and self.trusted \
            and not self.revoked_before_signing


def check(ws: Workspace, pdf: bytes) -> SealCheck:
    """Check the report's signature against the county root this workspace knows."""
    _quiet_pyhanko_import()
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = [s for s in reader.embedded_signatures if s.field_name == FIELD]
    except (PdfReadError, ValueError, KeyError):
        return SealCheck(present=False)
    if not signatures:
        return SealCheck(present=False)
    signature = signatures[-1]
    root = certificates.county_root(ws)
    roots = [] if root is None else [_asn1(root)]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots))
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    device_id = certificates.device_of(cert)
    # intact also means nothing was appended after signing (another revision could
    # change what the pages show while the signed bytes stay as they were)
    covers_all = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    return SealCheck(
        present=True,
        intact=bool(status.intact and status.valid and covers_all),
        trusted=bool(status.trusted),
        device_id=device_id,
        signer=_common_name(cert),
        centre=_attribute(cert, x509.oid.NameOID.ORGANIZATIONAL_UNIT_NAME),
        signed_at=status.signer_reported_dt,
        revoked_at=_revoked_at(ws, device_id),
    )


def _revoked_at(ws: Workspace, device_id: str | None) -> dt.datetime | None:
    """When the hub revoked the device, from the version of its record's `revoked`."""
    row = identity.device_row(ws, device_id) if device_id else None
    if not row or not row.get("revoked"):
        return None
    return clock.from_epoch_ms(Stamp.parse(changes.field_version(row, "revoked")).ms)


def _asn1(cert: x509.Certificate) -> object:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _common_name(cert: x509.Certificate) -> str:
    return _attribute(cert, x509.oid.NameOID.COMMON_NAME) or ""


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    found = cert.subject.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None
