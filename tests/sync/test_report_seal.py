"""The county as a certificate authority, and the PAdES signature of final reports: a
device's report checks at the hub, a changed byte does not, a device revoked before it
signed is flagged, and a package cannot forge a certificate."""

from __future__ import annotations

import io
import subprocess
import time

import pytest
from network import HUB, Network

from wushan_desk import reports as r
from wushan_desk.services import certificates, records, report_seal, sync
from wushan_desk.sync import crypto, identity


def a_pdf() -> bytes:
    doc = r.Document(title="督导整改通知书", issuer="高唐片区教育督导中心", report_id="seal-test",
                     kind="rectification", blocks=[r.Paragraph("请你校限期整改。")])
    buf = io.BytesIO()
    r.render_pdf(doc, buf)
    return buf.getvalue()


def test_devices_get_certificates_from_the_county_root(net: Network) -> None:
    with net.open(HUB) as hub:
        root = certificates.county_root(hub)
        assert root is not None and root.issuer == root.subject
        cert = certificates.device_certificate(hub, net.ids["dev0"])
        assert cert is not None and cert.issuer == root.subject
        assert certificates.device_of(cert) == net.ids["dev0"]
    with net.open("dev0") as dev:  # both arrived with the enrolment package
        assert certificates.county_root(dev) == root
        assert certificates.device_certificate(dev, net.ids["dev0"]) == cert


def test_a_report_signed_on_a_device_checks_at_the_hub(net: Network) -> None:
    with net.open("dev0") as dev:
        made = report_seal.sealer_for(dev)
        assert made is not None
        seal, info = made
        assert info.centre == net.centres["dev0"]
        signed = seal(a_pdf())
    with net.open(HUB) as hub:
        result = report_seal.check(hub, signed)
        assert result.ok and result.intact and result.trusted
        assert result.device_id == net.ids["dev0"] and result.centre == net.centres["dev0"]
        assert result.signer == "设备0"
        changed = bytearray(signed)
        changed[len(changed) // 3] ^= 0x01  # one bit inside the signed content
        assert not report_seal.check(hub, bytes(changed)).intact
        appended = signed + b"\n% a line added after signing\n"
        assert not report_seal.check(hub, appended).ok
        assert not report_seal.check(hub, a_pdf()).present


def test_a_device_revoked_before_it_signed_is_flagged(net: Network) -> None:
    with net.open("dev0") as dev:
        seal, _ = report_seal.sealer_for(dev)  # type: ignore[misc]
        before = seal(a_pdf())
    with net.open(HUB) as hub:
        sync.revoke(hub, net.ids["dev0"])
    time.sleep(1.1)  # the signing time has whole seconds
    with net.open("dev0") as dev:
        after = seal(a_pdf())  # the laptop does not know yet, or ignores it
    with net.open(HUB) as hub:
        early, late = report_seal.check(hub, before), report_seal.check(hub, after)
        assert early.revoked_at is not None and not early.revoked_before_signing and early.ok
        assert late.revoked_before_signing and not late.ok


def test_a_signature_by_a_key_the_county_never_certified_is_not_trusted(
    net: Network, tmp_path
) -> None:
    """A workspace that made up its own root (a forged county) signs a report: the hub
    sees an intact signature it does not trust."""
    other = tmp_path / "forged-hub.wsdb"
    sync.hub_init(other, "伪造的县级中心库")
    from support import open_workspace

    forged = open_workspace(other)
    try:
        assert certificates.county_root(forged) is not None
        signed = _sign_as_hub(forged)
    finally:
        forged.close()
    with net.open(HUB) as hub:
        result = report_seal.check(hub, signed)
        assert result.present and result.intact and not result.trusted and not result.ok


def _sign_as_hub(ws) -> bytes:
    """A hub signing with its own root certificate (what a forger controls)."""
    from wushan_desk.sync import crypto, identity

    root = certificates.county_root(ws)
    assert root is not None
    key = crypto.ed25519_private(identity.my_keys(ws))
    return report_seal._sign(a_pdf(), key, root, root)


# --- the document key: what PDF readers can check ------------------------------------------


def signing_key_type(pdf: bytes) -> str:
    """The public key algorithm of the certificate a PDF's signature embeds."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return signature.signer_cert.public_key.algorithm  # 'ec' or 'ed25519'


def signed_on(net: Network, party: str) -> bytes:
    with net.open(party) as ws:
        made = report_seal.sealer_for(ws)
        assert made is not None
        return made[0](a_pdf())


def test_reports_are_signed_with_ecdsa_which_a_pdf_reader_checks(net: Network,
                                                                 tmp_path) -> None:
    """poppler's pdfsig (what Okular, Evince and many Linux viewers use; Adobe Reader and
    WPS check ECDSA too) reads the signature as valid, from an issuer it does not know;
    an Ed25519 signature it called "corrupted data"."""
    for party in ("dev0", HUB):
        pdf = tmp_path / f"{party}.pdf"
        pdf.write_bytes(signed_on(net, party))
        assert signing_key_type(pdf.read_bytes()) == "ec"
        shown = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in shown and "Total document signed" in shown, shown
        with net.open(HUB) as hub:
            assert report_seal.check(hub, pdf.read_bytes()).ok


def test_a_device_certified_by_an_earlier_version_gets_its_document_key_certified(
        net: Network) -> None:
    """Enrolled before document keys: its certificate is of its Ed25519 key, which it
    signs with; its next package announces the document key, and the hub's next package
    brings that key's certificate."""
    dev = net.ids["dev0"]
    with net.open(HUB) as hub, hub.transaction():
        row = identity.device_row(hub, dev)
        old = certificates._device_pem(hub, row, certificates.county_root(hub),
                                       crypto.ed25519_public(crypto.PublicKeys(
                                           row["sign_public_key"], row["encrypt_public_key"])))
        records.put(hub, "device", {"id": dev, "certificate": old})
        hub.conn.execute("DELETE FROM local_state WHERE key = ?", (f"document_key:{dev}",))
    net.import_("dev0", *net.export(HUB, "dev0"))
    assert signing_key_type(signed_on(net, "dev0")) == "ed25519"  # still signs, as before
    with net.open(HUB) as hub:
        assert report_seal.check(hub, signed_on(net, "dev0")).ok
    net.import_(HUB, *net.export("dev0"))
    net.import_("dev0", *net.export(HUB, "dev0"))
    assert signing_key_type(signed_on(net, "dev0")) == "ec"
    with net.open(HUB) as hub:
        assert report_seal.check(hub, signed_on(net, "dev0")).ok


@pytest.mark.parametrize("announced", ["bm90IGEga2V5", 42, "x" * 5000, ""])
def test_a_document_key_the_hub_cannot_read_is_left_aside(net: Network, monkeypatch,
                                                          announced) -> None:
    """Malformed, or of a kind a later version may use: the package is taken, and the
    device keeps the certificate it has."""
    from wushan_desk.sync import exporter

    dev = net.ids["dev0"]
    with net.open(HUB) as hub:
        before = certificates.device_certificate(hub, dev)
    monkeypatch.setattr(exporter, "_document_key", lambda ws: {"document_key": announced})
    with net.open("dev0") as ws:
        student = next(records.iter_records(ws, "student"))
        records.put(ws, "student", {"id": student["id"], "class_name": "7班"})
    (summary,) = net.import_(HUB, *net.export("dev0"))
    assert summary["status"] == "applied"
    net.export(HUB, "dev0")  # the hub's next package: certificates are equipped
    with net.open(HUB) as hub:
        assert certificates.device_certificate(hub, dev) == before
        assert identity.announced_document_key(hub, dev) != announced
