"""Verifying printed reports: the QR text's format, its signature, and the record behind it.

Real reports printed on a real network (a hub with a demo county and one enrolled centre
device, tests/sync/network.py): a centre's report verifies at the hub and names the
device and centre; forged payloads and doctored PDFs fail; a revoked device and an
amended visit are flagged; a workspace without keys prints unsigned reports.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "sync"))
from network import HUB, Network, build_network

from wushan_desk.cli import main
from wushan_desk.domain import clock
from wushan_desk.reports import qr, read_metadata
from wushan_desk.services import inspection, inspection_report, records, report_verify, sync
from wushan_desk.store.workspace import Workspace

DEV = "dev0"


@pytest.fixture(scope="module")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return build_network(tmp_path_factory.mktemp("verify-network"), devices=1)


@pytest.fixture
def net(network_template: Network, tmp_path: Path) -> Network:
    return network_template.copy(tmp_path / "net")


def finalized_visit(ws: Workspace) -> str:
    return next(v["id"] for v in records.iter_records(ws, "visit") if v["status"] == "已定稿")


def print_report(net: Network, party: str, out: Path) -> tuple[str, str]:
    """Print a finalized visit's 督导意见书 on `party`; (visit id, the QR text)."""
    with net.open(party) as ws:
        visit = finalized_visit(ws)
        inspection_report.render(ws, visit, out)
    return visit, read_metadata(out)["qr"]


def replace_field(text: str, index: int, value: str) -> str:
    fields = text.split(" ")
    fields[index] = value
    return " ".join(fields)


# --- the format ---------------------------------------------------------------------------


def test_payload_round_trips_any_id_and_survives_caps_lock_and_full_width_input() -> None:
    signer = qr.ReportSigner("Dev-设备/1", lambda data: bytes(64))
    day = dt.date(2026, 11, 28)
    for report_id, kind in (("5f0c2a9e-7d1b-4c3e-9a61-2b8e4f1d0c37:inspection", "inspection"),
                            ("乡镇 A:2026-11-28:dropout-ledger", "dropout-ledger"),
                            ("X*Y%Z", "dropout-notice")):
        text = qr.build(report_id, kind, "ab" * 32, day, signer)
        assert text.isascii() and len(text) < 230
        for typed in (text, text.lower(), text.translate({c: c + 0xFEE0 for c in range(33, 127)})):
            p = qr.parse(typed)
            assert (p.report_id, p.kind, p.digest, p.issued) == (report_id, kind, "ab" * 8, day)
            assert p.signature == bytes(64) and p.device == "Dev-设备/1"


def test_an_inspection_payload_is_short_and_in_the_qr_alphanumeric_set() -> None:
    signer = qr.ReportSigner("8c2e41aa-5b7d-4e0f-9a3c-2d1e6f7a8b9c", lambda data: bytes(64))
    text = qr.build("5f0c2a9e-7d1b-4c3e-9a61-2b8e4f1d0c37:inspection", "inspection",
                    "9a" * 32, dt.date(2026, 11, 28), signer)
    assert text.startswith("WSR1 * 5F0C2A9E-") and " 9A9A9A9A9A9A9A9A 20261128 8C2E41AA " in text
    assert len(text) < 200
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@pytest.mark.parametrize("text", ["", "hello", "WSR1 * abc", "WSR1 X ID 123 20261128",
                                  "WSR1 * 5F0C:INSPECTION 9A1B2C3D4E5F6071 20261399",
                                  "WSR1 * 5F0C:INSPECTION 9A1B2C3D4E5F6071 20261128 8C2E41AA 1",
                                  '{"app":"other"}'])
def test_text_that_is_not_a_payload_is_refused_plainly(text: str) -> None:
    with pytest.raises(qr.PayloadError) as caught:
        qr.parse(text)
    assert caught.value.message.startswith("这不是本程序所印报告的二维码内容")


def test_the_json_of_reports_printed_before_is_read_as_unsigned(net: Network) -> None:
    old = json.dumps({"app": "wushan-desk", "kind": "inspection", "id": "x:inspection",
                      "sha256": "ab" * 32})
    p = qr.parse(old)
    assert p.legacy and not p.signed and p.digest == "ab" * 32
    with net.open(HUB) as hub:
        verdict = report_verify.verify_qr(hub, old)
    assert verdict.result == "warn" and verdict.code == "legacy"


# --- genuine reports ----------------------------------------------------------------------


def test_a_centre_report_verifies_at_the_hub_by_qr_and_by_file(net: Network,
                                                               tmp_path: Path) -> None:
    pdf = tmp_path / "意见书.pdf"
    visit, text = print_report(net, DEV, pdf)
    payload = qr.parse(text)
    assert payload.signed and payload.report_id == f"{visit}:inspection"
    assert payload.issued == clock.today() and net.ids[DEV].startswith(payload.device or "-")
    with net.open(HUB) as hub:
        by_qr = report_verify.verify_qr(hub, text)
        by_file = report_verify.verify_pdf(hub, pdf)
    for verdict in (by_qr, by_file):
        assert verdict.ok and verdict.code == "valid", verdict.lines()
        assert verdict.device_id == net.ids[DEV] and verdict.device_name == "设备0"
        assert verdict.centre == net.centres[DEV] and verdict.revoked is False
        assert verdict.current is True and verdict.issued == clock.today().isoformat()
    # the file's digital signature: intact, from the county's certificate of that device
    assert any(f.level == "pass" and "数字签名有效" in f.text and "设备0" in f.text
               for f in by_file.findings)
    assert "设备0" in "\n".join(by_file.lines())
    with net.open(HUB) as hub:  # and who signed on site: the inspectors and the head
        signed = inspection.detail(hub, visit).signatures
    (on_site,) = [f.text for f in by_file.findings if f.code == "signers"]
    assert signed and all(s["name"] in on_site and s["role"] in on_site for s in signed)
    with net.open(DEV) as device:  # and where it was printed
        assert report_verify.verify_qr(device, text).ok


def test_the_printed_qr_image_decodes_to_a_payload_that_verifies(net: Network,
                                                                 tmp_path: Path) -> None:
    assert shutil.which("pdftoppm") and shutil.which("zbarimg"), "install poppler-utils, zbar-tools"
    pdf = tmp_path / "意见书.pdf"
    _, text = print_report(net, DEV, pdf)
    pages = len(pypdf.PdfReader(pdf).pages)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(pages), "-l", str(pages),
                    str(pdf), str(tmp_path / "last")], check=True)
    png = next(tmp_path.glob("last*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    scanned = out.stdout.strip()
    assert scanned == text
    with net.open(HUB) as hub:
        assert report_verify.verify_qr(hub, scanned).ok


def test_the_cli_verifies_a_file_and_a_qr_text(net: Network, tmp_path: Path, capsys) -> None:
    pdf = tmp_path / "意见书.pdf"
    _, text = print_report(net, DEV, pdf)
    db = str(net.path(HUB))
    assert main(["verify", str(pdf), "--db", db]) == 0
    shown = capsys.readouterr().out
    assert "核验通过" in shown and "设备0" in shown and net.centres[DEV] in shown
    assert main(["verify", "--qr", text, "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"] == "pass" and data["device_name"] == "设备0"
    forged = replace_field(text, 3, "0" * 16)
    assert main(["verify", "--qr", forged, "--db", db, "--json"]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["code"] == "bad-signature"
    assert "核验未通过" in captured.err and "[bad-signature]" in captured.err
    broken = tmp_path / "坏.pdf"
    broken.write_bytes(pdf.read_bytes()[:4000])
    assert main(["verify", str(broken), "--db", db]) == 3
    err = capsys.readouterr().err
    assert "损坏或不完整" in err and "Traceback" not in err and "pypdf" not in err
    assert main(["verify", "--db", db]) == 2  # neither a file nor --qr


# --- forgeries ------------------------------------------------------------------------------


def test_forged_payloads_fail_with_a_plain_reason(net: Network, tmp_path: Path) -> None:
    visit, text = print_report(net, DEV, tmp_path / "意见书.pdf")
    with net.open(HUB) as hub:
        other_visit = next(v["id"] for v in records.iter_records(hub, "visit") if v["id"] != visit)
    fields = text.split(" ")
    signature = fields[6]
    flipped = signature[:40] + ("A" if signature[40] != "A" else "B") + signature[41:]
    forgeries = {
        "digest": replace_field(text, 3, "F" * 16),
        "id": replace_field(text, 2, f"{other_visit}:inspection".upper()),
        "date": replace_field(text, 4, "20200101"),
        "signature": replace_field(text, 6, flipped),
        "kind": replace_field(text, 1, "RECTIFICATION"),
    }
    with net.open(HUB) as hub:
        for what, forged in forgeries.items():
            verdict = report_verify.verify_qr(hub, forged)
            assert verdict.result == "fail" and verdict.code == "bad-signature", what
            assert verdict.headline.startswith("核验未通过") and verdict.device_name is None
            assert any("不可信" in f.text for f in verdict.findings), what
        unknown = report_verify.verify_qr(hub, replace_field(text, 5, "00000000"))
    assert unknown.result == "fail" and unknown.code == "unknown-device"
    assert "不在本工作区的设备名单中" in unknown.findings[0].text


def test_a_signature_made_with_another_key_fails(net: Network, tmp_path: Path) -> None:
    from wushan_desk.sync import identity

    _, text = print_report(net, DEV, tmp_path / "意见书.pdf")
    p = qr.parse(text)
    thief = identity.suite().generate()  # claims to be dev0, signs with its own key
    signer = qr.ReportSigner(net.ids[DEV], lambda data: identity.suite().sign(thief, data))
    forged = qr.build(p.report_id, p.kind, p.digest, p.issued or clock.today(), signer)
    with net.open(HUB) as hub:
        assert report_verify.verify_qr(hub, forged).code == "bad-signature"


def _rewrite_info(pdf: Path, out: Path, **changes: str) -> Path:
    """The PDF with Info entries changed, as an incremental update (the newest wins)."""
    writer = pypdf.PdfWriter(pdf, incremental=True)
    writer.add_metadata({f"/{k}": v for k, v in changes.items()})
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def test_a_pdf_with_doctored_metadata_fails(net: Network, tmp_path: Path) -> None:
    pdf = tmp_path / "意见书.pdf"
    visit, text = print_report(net, DEV, pdf)
    other = "1" * 64
    doctored = {
        "hash only": _rewrite_info(pdf, tmp_path / "a.pdf", WushanContentHash=other),
        "id only": _rewrite_info(pdf, tmp_path / "b.pdf", WushanReportId=f"{visit}:x"),
        "kind only": _rewrite_info(pdf, tmp_path / "c.pdf", WushanReportKind="rectification"),
    }
    with net.open(HUB) as hub:
        for what, path in doctored.items():
            verdict = report_verify.verify_pdf(hub, path)
            codes = {f.code for f in verdict.findings}
            # an update after signing, and what it changed, are both named
            assert verdict.result == "fail" and verdict.code == "altered", what
            assert {"altered", "metadata-mismatch"} <= codes, what
        # the hash changed in both places: the file's signature still catches it
        both = _rewrite_info(pdf, tmp_path / "d.pdf", WushanContentHash=other,
                             WushanQRText=replace_field(text, 3, other[:16].upper()))
        verdict = report_verify.verify_pdf(hub, both)
        assert verdict.result == "fail" and verdict.code == "altered"
        assert report_verify.verify_pdf(hub, pdf).ok  # the original still passes


def test_one_changed_byte_in_a_signed_report_fails(net: Network, tmp_path: Path,
                                                   capsys) -> None:
    pdf = tmp_path / "意见书.pdf"
    print_report(net, DEV, pdf)
    data = bytearray(pdf.read_bytes())
    at = data.index(b"stream") + 200  # inside the first page's drawing
    data[at] ^= 0x01
    changed = tmp_path / "改过.pdf"
    changed.write_bytes(bytes(data))
    with net.open(HUB) as hub:
        verdict = report_verify.verify_pdf(hub, changed)
        assert verdict.result == "fail" and verdict.code == "altered", verdict.lines()
        hub_path = hub.path
    capsys.readouterr()
    assert main(["verify", str(changed), "--db", str(hub_path)]) == 3
    assert "数字签名之后被改动" in capsys.readouterr().err


# --- genuine, but: revoked, outdated, unsigned ----------------------------------------------


def test_a_report_of_a_device_revoked_since_is_flagged(net: Network, tmp_path: Path,
                                                        capsys) -> None:
    pdf = tmp_path / "意见书.pdf"
    _, text = print_report(net, DEV, pdf)
    with net.open(HUB) as hub:
        sync.revoke(hub, net.ids[DEV])
        verdict = report_verify.verify_qr(hub, text)
    assert verdict.result == "warn" and verdict.code == "revoked" and verdict.revoked is True
    assert verdict.device_name == "设备0" and verdict.current is True
    assert any("吊销" in f.text and f.level == "warn" for f in verdict.findings)
    assert main(["verify", str(pdf), "--db", str(net.path(HUB))]) == 3
    assert "[revoked]" in capsys.readouterr().err


def test_the_report_of_an_amended_visit_is_outdated(net: Network, tmp_path: Path) -> None:
    old = tmp_path / "更正前.pdf"
    visit, text = print_report(net, HUB, old)
    with net.open(HUB) as hub:
        assert report_verify.verify_qr(hub, text).current is True
        inspection.amend(hub, visit, "督导意见有笔误",
                         [("visit", {"id": visit, "summary": "更正后的督导意见。"})])
        verdict = report_verify.verify_pdf(hub, old)
        assert verdict.result == "warn" and verdict.code == "outdated"
        assert verdict.current is False and verdict.device_name  # still genuine
        digest = qr.parse(text).digest[:16]
        # the amendment that replaced it is named, and the new version names the old one
        assert any("更正取代" in f.text and "督导意见有笔误" in f.text
                   for f in verdict.findings), verdict.lines()
        new = tmp_path / "更正后.pdf"
        inspection_report.render(hub, visit, new)
        assert report_verify.verify_pdf(hub, new).ok
        printed = "".join(page.extract_text() for page in pypdf.PdfReader(new).pages)
        assert f"校验码{digest}" in printed.replace(" ", "").replace("\n", "")


def test_a_record_not_in_this_workspace_is_not_compared(net: Network, tmp_path: Path) -> None:
    with net.open(DEV) as device:
        in_scope = {v["id"] for v in records.iter_records(device, "visit")}
    with net.open(HUB) as hub:
        outside = next(v["id"] for v in records.iter_records(hub, "visit")
                       if v["id"] not in in_scope and v["status"] == "已定稿")
        inspection_report.render(hub, outside, tmp_path / "外.pdf")
    outside_text = read_metadata(tmp_path / "外.pdf")["qr"]
    with net.open(DEV) as device:
        verdict = report_verify.verify_qr(device, outside_text)
    assert verdict.ok and verdict.current is None and verdict.centre == "县级中心库"
    assert any("没有比对内容" in f.text for f in verdict.findings)


def test_a_workspace_without_keys_prints_unsigned_reports(demo_ws: Workspace,
                                                          tmp_path: Path) -> None:
    visit = finalized_visit(demo_ws)
    pdf = tmp_path / "演示.pdf"
    inspection_report.render(demo_ws, visit, pdf)
    text = read_metadata(pdf)["qr"]
    assert len(text.split(" ")) == 5 and not qr.parse(text).signed
    verdict = report_verify.verify_pdf(demo_ws, pdf)
    assert verdict.result == "warn" and verdict.code == "unsigned"
    assert verdict.current is True and verdict.device_name is None
    assert any("没有签名" in f.text for f in verdict.findings)


# --- the file's digital signature cannot be cut off or swapped ---------------------------


def test_a_signed_report_with_its_signature_cut_off_fails(net: Network, tmp_path: Path) -> None:
    """The signature is an update appended to the file: its first revision is the whole
    unsigned report. Cut back to it, the file would still carry a valid QR text, but the
    QR says (under the device's signature) that the file was signed."""
    pdf = tmp_path / "意见书.pdf"
    _, text = print_report(net, DEV, pdf)
    assert qr.parse(text).sealed
    data = pdf.read_bytes()
    first = data[: data.index(b"%%EOF") + len(b"%%EOF")] + b"\n"
    assert len(first) < len(data)
    cut = tmp_path / "去掉签名.pdf"
    cut.write_bytes(first)
    with net.open(HUB) as hub:
        verdict = report_verify.verify_pdf(hub, cut)
    assert verdict.result == "fail" and verdict.code == "altered", verdict.lines()
    assert any("签名不见了" in f.text for f in verdict.findings)


def test_a_report_signed_again_by_another_device_fails(net: Network, tmp_path: Path) -> None:
    """A laptop that re-signs another device's (changed) report: the file's signature is
    intact and the county issued its certificate, but it is not the QR's device."""
    from wushan_desk.services import report_seal

    pdf = tmp_path / "意见书.pdf"
    print_report(net, DEV, pdf)
    data = pdf.read_bytes()
    first = data[: data.index(b"%%EOF") + len(b"%%EOF")] + b"\n"
    with net.open(HUB) as hub:  # the hub stands in for "another enrolled computer"
        made = report_seal.sealer_for(hub)
        assert made is not None
        resigned = tmp_path / "重新签名.pdf"
        resigned.write_bytes(made[0](first))
        verdict = report_verify.verify_pdf(hub, resigned)
    assert verdict.result == "fail" and verdict.code == "altered", verdict.lines()
    assert any("别的设备重新签名" in f.text for f in verdict.findings)


def test_a_printed_draft_is_genuine_but_not_an_official_document(net: Network,
                                                                 tmp_path: Path) -> None:
    with net.open(DEV) as ws:
        done = records.get(ws, "visit", finalized_visit(ws))
        assert done is not None
        draft = inspection.start_visit(ws, school_id=done["school_id"],
                                       template_id=done["template_id"],
                                       inspector_ids=done["inspector_ids"], date=clock.today())
        out = tmp_path / "草稿.pdf"
        inspection_report.render(ws, draft, out)
    text = read_metadata(out)["qr"]
    assert qr.parse(text).draft and not qr.parse(text).sealed
    with net.open(HUB) as hub:
        for verdict in (report_verify.verify_qr(hub, text), report_verify.verify_pdf(hub, out)):
            assert verdict.result == "warn" and verdict.code == "draft", verdict.lines()
