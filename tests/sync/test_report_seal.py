"""The county as a certificate authority, and the PAdES signature of final reports: a
device's report checks at the hub, a changed byte does not, a device revoked before it
signed is flagged, and a package cannot forge a certificate."""

from __future__ import annotations

import io
import time

from network import HUB, Network

from wushan_desk import reports as r
from wushan_desk.services import certificates, report_seal, sync


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
