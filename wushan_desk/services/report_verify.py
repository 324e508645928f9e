"""Is this printed report genuine and current? (`wushan-desk verify`, the 核验报告 screen)

Input: the text of a report's QR code (scanned, typed or pasted) or the report's PDF
file (its Info dictionary keeps the same text, see reports/pdf.py). The checks:

1. The form of the text (reports/qr.py); a PDF's metadata must agree with it.
2. The signature: the named device must be one this workspace knows (device records
   with public keys reach every workspace by sync; this workspace's own keys count too),
   and its Ed25519 signature must cover exactly this report id, kind, digest and date.
   A device revoked since is flagged: the date is the device's own claim, so a report
   "from before" the revocation cannot be proven to be.
3. The content, where this workspace holds the record the report was printed from (a
   visit for 督导意见书 and 整改通知书): the document is built again with the printing
   code and its content hash compared, so a report printed before an amendment is
   reported as outdated.

The result is a `Verdict`: pass, warn (genuine but revoked, outdated, or unsigned) or
fail (forged or altered), with plain Chinese findings for the screen and the CLI.
4. For a PDF, its digital signature (PAdES, services/report_seal.py): the file is byte
   for byte what was signed, by a certificate the county hub issued, from a device not
   revoked by then. A QR code proves the facts it carries, not the page's words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wushan_desk.domain import clock
from wushan_desk.reports import qr
from wushan_desk.services import inspection_report, records
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import crypto, identity

PASS, WARN, FAIL, INFO = "pass", "warn", "fail", "info"

KIND_NAMES = {
    "inspection": "督导意见书", "rectification": "整改通知书", "dropout-notice": "限期返校通知书",
    "dropout-ledger": "控辍保学台账", "dropout-monthly": "控辍保学月报",
    "aid-notice": "困难学生认定结果公示", "aid-roster": "资助发放花名册",
    "aid-application": "家庭经济困难学生认定申请表", "aid-check": "学生资助核查情况",
}

#: The headline of each outcome, most serious first (the first one found is shown).
HEADLINES = {
    "altered": "核验未通过：文件在数字签名之后被改动过",
    "untrusted": "核验未通过：数字签名的证书不是县级中心库签发的",
    "revoked-before": "核验未通过：签名时设备已被吊销",
    "metadata-mismatch": "核验未通过：PDF 文件里的报告信息被改动过",
    "bad-signature": "核验未通过：签名不符，报告被改动过或是伪造的",
    "unknown-device": "核验未通过：签名的设备不在本工作区的设备名单中",
    "revoked": "需要注意：签发这份报告的设备已被吊销",
    "draft": "需要注意：这是未定稿的草稿，不是正式文书",
    "outdated": "需要注意：报告不是最新的，库中记录在打印后有改动",
    "unsigned": "需要注意：报告没有签名，无法证明出处",
    "legacy": "需要注意：旧版本程序打印的报告，没有签名",
    "valid": "核验通过：报告由登记的设备签发，签名有效",
}


@dataclass(frozen=True)
class Finding:
    """One line of a verdict: `level` pass / warn / fail / info, `text` plain Chinese."""

    level: str
    text: str
    code: str = ""


@dataclass(frozen=True)
class Verdict:
    """What verification found. `result`: pass, warn or fail; `code`: the outcome named
    in `HEADLINES`; `current`: the stored record still prints this content (None: not
    compared); `revoked`: the signing device is revoked now (None: no known signer)."""

    result: str
    code: str
    headline: str
    findings: tuple[Finding, ...]
    source: str  # "qr" or "pdf"
    report_id: str
    kind: str
    kind_name: str
    digest: str
    issued: str | None
    device_id: str | None = None
    device_name: str | None = None
    centre: str | None = None
    revoked: bool | None = None
    current: bool | None = None

    @property
    def ok(self) -> bool:
        return self.result == PASS

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["findings"] = [{"level": f.level, "text": f.text} for f in self.findings]
        return out

    def lines(self) -> list[str]:
        """The verdict as text: headline, findings marked ✓ ▲ ✗ ·, then the report's facts."""
        marks = {PASS: "✓", WARN: "▲", FAIL: "✗", INFO: "·"}
        out = [self.headline]
        out += [f"  {marks[f.level]} {f.text}" for f in self.findings]
        facts = f"  报告编号：{self.report_id}　种类：{self.kind_name}　校验码：{self.digest[:16]}"
        out.append(facts + (f"　打印日期：{self.issued}" if self.issued else ""))
        return out


@dataclass(frozen=True)
class _Signer:
    device_id: str
    name: str
    centre_id: str | None
    centre: str
    revoked: bool


# --- entry points --------------------------------------------------------------------------


def verify_qr(ws: Workspace, text: str) -> Verdict:
    """Verify the text of a report's QR code. `PayloadError` (a UserError) if the text is
    not one at all."""
    note = Finding(INFO, "二维码证明的是报告编号、种类、校验码和日期；纸面上的文字如有疑问，请与"
                         "按库中记录重新打印的报告对照。")
    return _verify(ws, qr.parse(text), "qr", None, [note])


def verify_pdf(ws: Workspace, path: Path) -> Verdict:
    """Verify a report's PDF file by the QR text and facts in its metadata. `ReportError`
    (a UserError) if the file is unreadable or not a report of this program."""
    from wushan_desk.reports.metadata import read_report

    found = read_report(Path(path))
    meta = found.metadata
    if "qr" in meta:
        payload = qr.parse(meta["qr"])
    else:  # printed before the QR text was kept in the file: unsigned
        payload = qr.Payload(meta["report_id"], meta.get("kind", ""),
                             meta.get("content_hash", "").lower(), None, legacy=True)
    extra = [_metadata_agrees(meta, payload),
             _digital_signature(ws, found.data, found.signatures, payload)]
    return _verify(ws, payload, "pdf", meta.get("content_hash"), [f for f in extra if f])


# --- the checks ---------------------------------------------------------------------------


def _verify(ws: Workspace, p: qr.Payload, source: str, full_hash: str | None,
            extra: list[Finding]) -> Verdict:
    findings: list[Finding] = [f for f in extra if f.level == FAIL]
    signer: _Signer | None = None
    if not findings:
        signature, signer = _check_signature(ws, p)
        findings += signature
    current = None
    if not any(f.level == FAIL for f in findings):
        compared, current = _compare_content(ws, p, full_hash, signer)
        findings.append(compared)
        findings += _signed_on_site(ws, p)
    findings += [f for f in extra if f.level != FAIL]
    if p.draft and signer is not None:  # the printing device said so, under its signature
        findings.append(Finding(WARN, "二维码表明这份文书打印时还是草稿（未定稿、未签发），不能作为"
                                      "正式文书使用。", "draft"))
    code = next((c for c in HEADLINES if any(f.code == c for f in findings)), "valid")
    result = FAIL if any(f.level == FAIL for f in findings) else (
        WARN if any(f.level == WARN for f in findings) else PASS)
    return Verdict(
        result=result, code=code, headline=HEADLINES[code], findings=tuple(findings),
        source=source, report_id=p.report_id, kind=p.kind,
        kind_name=KIND_NAMES.get(p.kind, p.kind), digest=p.digest,
        issued=p.issued.isoformat() if p.issued else None,
        device_id=signer.device_id if signer else None,
        device_name=signer.name if signer else None,
        centre=signer.centre if signer else None,
        revoked=signer.revoked if signer else None, current=current)


def _check_signature(ws: Workspace, p: qr.Payload) -> tuple[list[Finding], _Signer | None]:
    if p.legacy:
        return [Finding(WARN, "这份报告由旧版本程序打印，二维码里没有签名：无法证明它出自哪台设备、"
                              "是否被人改过。可请签发单位用新版本重新打印。", "legacy")], None
    if p.signature is None or p.device is None:
        return [Finding(WARN, "报告没有签名：打印它的工作区没有设备密钥（如演示工作区）。县级中心库"
                              "和督导中心设备打印的报告都带签名；没有签名的报告无法证明出处，"
                              "也可能被人改过。", "unsigned")], None
    candidates = _devices_named(ws, p.device)
    if not candidates:
        return [Finding(FAIL, f"签名的设备（编号 {p.device}…）不在本工作区的设备名单中：可能是"
                              "伪造的报告，也可能是本机还没有同步到的新设备。请先与县级中心库"
                              "同步后再核验，或向县教委核实。", "unknown-device")], None
    suite = identity.suite()
    for device_id, public in candidates:
        if suite.verify(public, p.message(device_id), p.signature):
            return _signed_by(ws, p, _signer_info(ws, device_id))
    return [Finding(FAIL, "签名与报告的编号、种类、校验码或日期对不上：这些信息被改动过，或签名是"
                          "伪造的。这份报告不可信，请向签发单位核实。", "bad-signature")], None


def _signed_by(ws: Workspace, p: qr.Payload, s: _Signer) -> tuple[list[Finding], _Signer]:
    day = p.issued.isoformat() if p.issued else "（日期不明）"
    out = [Finding(PASS, f"签名有效：由设备“{s.name}”（{s.centre}）于 {day} 打印并签名，报告"
                         "编号、种类和校验码与签名一致。")]
    if s.revoked:
        out.append(Finding(WARN, f"设备“{s.name}”现已被县教委吊销（设备丢失或停用时吊销）。报告上的"
                                 "日期由设备自己写入，无法证明报告是在吊销之前打印的：请向"
                                 f"{s.centre}核实这份报告。", "revoked"))
    return out, s


def _devices_named(ws: Workspace, prefix: str) -> list[tuple[str, crypto.PublicKeys]]:
    """Devices whose id starts with `prefix` and whose public keys are known here."""
    found: dict[str, crypto.PublicKeys] = {}
    for device in records.iter_records(ws, "device"):
        if device["id"].startswith(prefix) and device.get("sign_public_key"):
            found[device["id"]] = crypto.PublicKeys(device["sign_public_key"],
                                                    device.get("encrypt_public_key") or "")
    if ws.device_id.startswith(prefix) and ws.device_id not in found:
        keys = identity.keystore(ws).load()  # this device before its record arrived
        if keys is not None:
            found[ws.device_id] = keys.public()
    return list(found.items())


def _signer_info(ws: Workspace, device_id: str) -> _Signer:
    row = identity.device_row(ws, device_id)
    if row is None:  # this workspace itself, not yet registered by the hub
        centre_id = ws.state("centre_id")
        return _Signer(device_id, ws.state("name") or "本机", centre_id,
                       identity.centre_name(ws, centre_id) or "本机", False)
    centre = identity.centre_name(ws, row["centre_id"])
    if centre is None:
        centre = "县级中心库" if row["role"] == "hub" else "督导中心不明"
    return _Signer(device_id, row["name"], row["centre_id"], centre, bool(row["revoked"]))


def _metadata_agrees(meta: dict[str, str], p: qr.Payload) -> Finding | None:
    """A PDF's /WushanReportId, kind and content hash must be what its QR text signs."""
    wrong = [name for name, ok in (
        ("报告编号", meta.get("report_id") == p.report_id),
        ("种类", meta.get("kind") == p.kind),
        ("校验码", meta.get("content_hash", "").lower().startswith(p.digest)),
    ) if not ok]
    if not wrong:
        return None
    return Finding(FAIL, f"PDF 文件里的{'、'.join(wrong)}与二维码内容（签名所覆盖的）不一致：文件被"
                         "改动过，不可信。", "metadata-mismatch")


def _digital_signature(ws: Workspace, data: bytes, fields: int, p: qr.Payload) -> Finding:
    """The file's PAdES signature (services/report_seal.py): every byte as signed, by a
    certificate of the county's, from a device not revoked by then, the device whose
    signature the QR carries; present wherever the QR says the file was signed."""
    from wushan_desk.services import report_seal

    seal = report_seal.check(ws, data)
    if not seal.present:
        if fields:
            return Finding(FAIL, "文件带有不是本程序所加的数字签名，或签名已损坏：不可信。",
                           "altered")
        if p.sealed:
            return Finding(FAIL, "二维码表明这份文件签发时带有数字签名，现在签名不见了：文件被人"
                                 "去掉签名后改动过。这份文件不可信，请向签发单位索取原件。",
                           "altered")
        return Finding(INFO, "这个文件没有 PDF 数字签名（草稿、演示工作区，或打印时本机还没有"
                             "县级中心库签发的证书）。以上核验的是报告编号、种类、校验码和签发"
                             "设备的签名；页面文字被改动而这些信息不变，只有数字签名能发现。")
    when = f"{seal.signed_at.astimezone(clock.county_zone()):%Y-%m-%d %H:%M}" \
        if seal.signed_at else "（时间不明）"
    if not seal.intact:
        return Finding(FAIL, "PDF 数字签名不符：文件在签名之后被改动过（哪怕一个字节），或在签名"
                             "之后又加了内容。这份文件不可信，请向签发单位索取原件。", "altered")
    if not seal.trusted:
        return Finding(FAIL, f"PDF 数字签名完好，但签名证书（{seal.signer}）不是本工作区所知的"
                             "县级中心库签发的：可能是伪造的。请先与县级中心库同步后再核验。",
                       "untrusted")
    if p.device and not (seal.device_id or "").upper().startswith(p.device.upper()):
        return Finding(FAIL, f"PDF 数字签名是设备“{seal.signer}”的，二维码却是另一台设备签的："
                             "文件被人改动后用别的设备重新签名过。这份文件不可信。", "altered")
    if seal.revoked_before_signing:
        return Finding(FAIL, f"签名设备“{seal.signer}”在 {when} 签名时已被吊销"
                             f"（{seal.revoked_at:%Y-%m-%d %H:%M} 吊销）：签名无效。",
                       "revoked-before")
    return Finding(PASS, f"PDF 数字签名有效：文件自签名以来没有任何改动；由县级中心库发证的设备"
                         f"“{seal.signer}”（{seal.centre or '县级中心库'}）于 {when} 签名。")


# --- the content, built again from the stored record ---------------------------------------


def _compare_content(ws: Workspace, p: qr.Payload, full_hash: str | None,
                     signer: _Signer | None) -> tuple[Finding, bool | None]:
    build = _BUILDERS.get(p.kind)
    name = KIND_NAMES.get(p.kind, p.kind)
    if build is None or len(p.digest) < qr.DIGEST_CHARS:
        return Finding(INFO, f"{name}不与库中记录比对内容，只核验了签名。"), None
    # headed as the printing device's centre heads it (a hub checking a centre's report)
    doc = build(ws, p.report_id, signer.centre_id if signer else inspection_report.HERE)
    if doc is None:
        return Finding(INFO, "本工作区没有这份报告所依据的记录（可能属于其他督导中心，或还没有同步"
                             "过来），没有比对内容。"), None
    from wushan_desk.reports.document import content_hash

    now = None if isinstance(doc, _NoDocument) else content_hash(doc)
    if now is not None and (now == full_hash.lower() if full_hash else now.startswith(p.digest)):
        return Finding(PASS, f"内容与本工作区库中的记录一致：按库中记录现在打印的{name}与这份"
                             "相同。"), True
    replaced = _superseded_by(ws, p) if signer else None
    if replaced is not None:
        return Finding(WARN, f"这份{name}已被 {replaced['amended_on']} 的更正取代（理由："
                             f"{replaced['reason']}）：请以更正后重新打印的版本为准，新版本的"
                             f"“更正记录”写明它取代了校验码 {p.digest[:16]}。", "outdated"), False
    why = ("记录在打印后有更正或补充（如更正记录、补签、整改进展），这份报告不是最新的" if signer
           else "记录在打印后有改动，或这份报告被人改过（它没有签名，无法分辨）")
    return Finding(WARN, f"本工作区库中的这条记录现在打印出来与这份{name}不同：{why}，请以库中"
                         "记录重新打印的为准。", "outdated"), False


def _signed_on_site(ws: Workspace, p: qr.Payload) -> list[Finding]:
    """Who signed a visit's documents on site, as the record here says: the inspectors
    (督学) and the school's head, by name and date (the device signs the file; these
    people signed the paper)."""
    visit_id, _, kind = p.report_id.rpartition(":")
    if kind not in ("inspection", "rectification") or records.get(ws, "visit", visit_id) is None:
        return []
    from wushan_desk.store import inspection_queries

    signed = sorted(inspection_queries.visit_signatures(ws, visit_id),
                    key=lambda s: (s["signed_on"], s["role"]))
    if not signed:
        return [Finding(INFO, "库中这次督导没有现场签名记录。")]
    names = "；".join(f"{s['role']} {s['name']}（{s['signed_on']}"
                     f"{'，纸质签名' if s.get('on_paper') else ''}）" for s in signed)
    return [Finding(INFO, f"现场签名（据库中记录）：{names}。", "signers")]


def _superseded_by(ws: Workspace, p: qr.Payload) -> dict[str, Any] | None:
    """The amendment that replaced the printed version of a 督导意见书, if one did."""
    if p.kind != "inspection":
        return None
    visit_id = p.report_id.rpartition(":")[0]
    return next((a for a in records.iter_records(ws, "visit_amendment")
                 if a["visit_id"] == visit_id
                 and (a.get("supersedes") or "-").startswith(p.digest[:16])), None)


def _visit_document(kind: str) -> Callable[[Workspace, str, str | None], Any]:
    def build(ws: Workspace, report_id: str, centre_id: str | None) -> Any:
        from wushan_desk.domain.errors import ValidationError
        from wushan_desk.services import inspection

        visit_id, _, suffix = report_id.rpartition(":")
        if suffix != kind or records.get(ws, "visit", visit_id) is None:
            return None
        d = inspection.detail(ws, visit_id)
        try:
            if kind == "inspection":
                return inspection_report.inspection_document(ws, d, centre_id)
            return inspection_report.rectification_document(ws, d, centre_id)
        except ValidationError:  # e.g. no open findings any more: no such notice now
            return _NoDocument()

    return build


class _NoDocument:
    """The record no longer yields this document (its content hash matches nothing)."""


_BUILDERS: dict[str, Callable[[Workspace, str, str | None], Any]] = {
    "inspection": _visit_document("inspection"),
    "rectification": _visit_document("rectification"),
}


__all__ = ["FAIL", "INFO", "KIND_NAMES", "PASS", "WARN", "Finding", "Verdict", "verify_pdf",
           "verify_qr"]
