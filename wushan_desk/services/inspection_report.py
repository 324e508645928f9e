"""The printed documents of a visit: 督导意见书 (the record and opinion, signed on site)
and 整改通知书 (the rectification notice when problems were found).

Built from a VisitDetail with the report engine's blocks; every fact printed comes from
the workspace, so the same visit always prints the same content (and content hash).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from wushan_desk import reports as r
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import attachments, inspection
from wushan_desk.services.report_signing import signer_for
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity

COUNTY_OFFICE = "巫山县人民政府教育督导室"
KINDS = {"inspection": "督导意见书", "rectification": "整改通知书"}


def render(ws: Workspace, visit_id: str, path: Path, kind: str = "inspection") -> r.RenderResult:
    """Write the PDF of one visit's document to `path` (atomically)."""
    if kind not in KINDS:
        raise ValidationError(f"没有这种报表：{kind}。可选：{'、'.join(KINDS)}")
    d = inspection.detail(ws, visit_id)
    doc = inspection_document(ws, d) if kind == "inspection" else rectification_document(ws, d)
    result = r.render_pdf(doc, path, signer=signer_for(ws))
    from wushan_desk.services import audit

    audit.record_or_defer(ws, "print", kind="visit", record_id=visit_id,
                 detail={"document": KINDS[kind],
                         "file": Path(path).name})
    return result


def default_file_name(ws: Workspace, visit_id: str, kind: str) -> str:
    """学校-文书-日期.pdf: a folder of exports sorts by school, then kind, then date."""
    d = inspection.detail(ws, visit_id)
    return f"{d.school.get('name', '学校')}-{KINDS[kind]}-{d.visit['date']}.pdf"


#: `centre_id` of a document headed as this workspace heads its own (the default).
HERE = "here"


def letterhead_of(ws: Workspace, centre_id: str | None = HERE) -> tuple[str, tuple[str, ...]]:
    """The issuer and letterhead lines of this workspace's documents, or of the centre
    `centre_id` (None: the county office): a document is headed by whoever printed it,
    so checking or amending another's report builds it as they did."""
    centre = identity.centre_name(ws, ws.state("centre_id") if centre_id == HERE else centre_id)
    return (centre or COUNTY_OFFICE), ((COUNTY_OFFICE, centre) if centre else (COUNTY_OFFICE,))


def _facts(d: inspection.VisitDetail) -> r.KeyValueTable:
    names = "、".join(p["name"] for p in d.inspectors) or "—"
    template = f"{d.template.get('name', '')}（第{d.template.get('version', 1)}版）"
    return r.KeyValueTable(
        [
            ("学校", d.school.get("name", "")),
            ("督导日期", r.chinese_date(dt.date.fromisoformat(d.visit["date"]))),
            ("督导类型", f"{d.visit['kind']}督导"),
            ("责任督学", names),
            ("检查表", template),
            ("学期", d.visit.get("term") or ""),
        ]
    )


def _answer_text(answer: dict[str, Any] | None) -> str:
    if not answer or answer.get("value") in (None, ""):
        return "未填"
    return str(answer["value"])


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _item_text(item: dict[str, Any], answer: dict[str, Any] | None) -> str:
    """The item as the school reads it: the requirement with how it was checked, the
    deduction rule only where points were deducted (where it explains the score; the
    full checklist is published separately), and the inspector's note under it."""
    text = item["content"] + (f"（{item['method']}）" if item.get("method") else "")
    score, top = (answer or {}).get("score"), item.get("max_score")
    if item.get("deduction_rule") and score is not None and top is not None and score < top:
        text += f"\n扣分标准：{item['deduction_rule']}"
    if (answer or {}).get("note"):
        text += f"\n佐证说明：{answer['note']}"  # type: ignore[index]
    return text


def _checklist_table(d: inspection.VisitDetail) -> r.Table:
    """The scored checklist, the requirements as wide as the page allows: a 29-item
    routine visit takes two pages and a half, the last for the opinion and signatures."""
    rows: list[Any] = []
    section = None
    for number, item in enumerate(d.items, start=1):
        if item["section"] != section:
            section = item["section"]
            rows.append(r.SectionRow(section))
        answer = d.answers.get(item["id"])
        rows.append(
            (
                item.get("code") or str(number),
                _item_text(item, answer),
                _score(item.get("max_score")),
                _answer_text(answer),
                _score((answer or {}).get("score")),
            )
        )
    got, top = d.total
    return r.Table(
        [
            r.Column("序号", 0.55, "center", nowrap=True),
            r.Column("检查内容及要求、扣分标准和佐证说明", 7.0),
            r.Column("分值", 0.55, "center", nowrap=True),
            r.Column("结果", 0.9, "center"),
            r.Column("得分", 0.55, "center", nowrap=True),
        ],
        rows,
        totals=("", "合计", _score(top), "", _score(got)),
        size=9.0,
    )


def _findings_table(d: inspection.VisitDetail) -> r.Table:
    rows = [
        (
            str(n),
            f["description"],
            f["severity"],
            f["requirement"],
            r.chinese_date(dt.date.fromisoformat(f["deadline"])),
            f.get("responsible") or "",
        )
        for n, f in enumerate(d.findings, start=1)
    ]
    return r.Table(
        [
            r.Column("序号", 0.75, "center"),
            r.Column("存在问题", 3.1),
            r.Column("程度", 0.85, "center"),
            r.Column("整改要求", 3.1),
            r.Column("整改期限", 2.0, "center", nowrap=True),
            r.Column("责任人", 1.0, "center"),
        ],
        rows,
    )


def _signers(ws: Workspace, d: inspection.VisitDetail,
             closing: r.Closing | None = None) -> r.SignatureBlock:
    by_role: dict[str, list[dict[str, Any]]] = {}
    for s in d.signatures:
        by_role.setdefault(s["role"], []).append(s)
    signers = (
        [_signer(ws, s) for s in by_role.get("督学", [])]
        or [r.Signer("督学", p["name"]) for p in d.inspectors]
        or [r.Signer("督学")]
    )
    heads = by_role.get("校长（园长）", [])
    signers += [_signer(ws, s) for s in heads] or [r.Signer("学校负责人", d.visit.get("head_name"))]
    return r.SignatureBlock(signers, closing=closing)


def _signer(ws: Workspace, signature: dict[str, Any]) -> r.Signer:
    image = None
    if signature.get("attachment_id"):
        try:
            image = attachments.read(ws, signature["attachment_id"])
        except WorkspaceError:
            image = None  # the image has not arrived by sync yet: print a line to sign
    day = dt.date.fromisoformat(signature["signed_on"])
    role = "学校负责人" if signature["role"] == "校长（园长）" else signature["role"]
    name = signature["name"] + ("（纸质签名）" if signature.get("on_paper") else "")
    return r.Signer(role, name, image, day)


def _made_on(d: inspection.VisitDetail) -> dt.date:
    """成文日期: the day the visit was finalized (a draft: the day of the visit)."""
    return dt.date.fromisoformat(d.visit.get("finalized_on") or d.visit["date"])


def _distribution(issuer: str, d: inspection.VisitDetail) -> r.Distribution:
    """版记: a centre's documents go in copy to the county office."""
    copy_to = COUNTY_OFFICE if issuer != COUNTY_OFFICE else None
    return r.Distribution(issuer, _made_on(d), copy_to)


def inspection_document(ws: Workspace, d: inspection.VisitDetail,
                        centre_id: str | None = HERE) -> r.Document:
    """督导意见书: facts, the scored checklist, the opinion, problems, signatures, then
    the issuing centre and date with the seal's place (headed as this workspace, or the
    centre `centre_id`, prints it)."""
    issuer, letterhead = letterhead_of(ws, centre_id)
    draft = "" if d.locked else "（草稿）"
    blocks: list[Any] = [
        _facts(d),
        r.Heading("一、检查情况"),
        _checklist_table(d),
        r.Heading("二、督导意见"),
        r.Paragraph(d.visit.get("summary") or "（未填写）"),
    ]
    blocks.append(r.Heading("三、存在问题及整改要求"))
    if d.findings:
        blocks += [
            _findings_table(d),
            r.Paragraph(
                "请学校按上述要求逐项整改，于整改期限前将整改情况书面报送督导中心；"
                "对本意见书有异议的，可在收到之日起15日内提出。",
                size=r.SIZE_XIAO4,
            ),
        ]
    else:
        blocks.append(r.Paragraph("本次督导未发现需要整改的问题。"))
    if d.amendments:
        blocks += [
            r.Heading("四、更正记录"),
            r.Table(
                [r.Column("日期", 1.2, "center", nowrap=True), r.Column("理由", 2.5),
                 r.Column("内容", 4.0), r.Column("取代的版本", 1.6, "center", nowrap=True)],
                [
                    (a["amended_on"], a["reason"], "；".join(json.loads(a["changes"] or "[]")),
                     f"校验码 {a['supersedes']}" if a.get("supersedes") else "")
                    for a in d.amendments
                ],
            ),
        ]
    blocks.append(_signers(ws, d, r.Closing(issuer, _made_on(d))))
    return r.Document(
        title=f"{d.school.get('name', '')}督导意见书{draft}",
        issuer=issuer,
        report_id=f"{d.visit['id']}:inspection",
        kind="inspection",
        blocks=blocks,
        letterhead=letterhead,
        doc_number=d.visit.get("opinion_no"),
        draft=not d.locked,
    )


def rectification_document(ws: Workspace, d: inspection.VisitDetail,
                           centre_id: str | None = HERE) -> r.Document:
    """整改通知书: the school is told what to fix and by when (headed as `inspection_document`)."""
    if not d.findings:
        raise ValidationError("本次督导没有发现问题，不需要整改通知书。")
    issuer, letterhead = letterhead_of(ws, centre_id)
    day = r.chinese_date(dt.date.fromisoformat(d.visit["date"]))
    names = "、".join(p["name"] for p in d.inspectors)
    blocks: list[Any] = [
        r.Paragraph(f"{d.school.get('name', '')}：", indent=0),
        r.Paragraph(
            f"{day}，责任督学{names}对你校进行了{d.visit['kind']}督导，发现以下问题，"
            "现通知你校限期整改："
        ),
        # every problem found on the day, fixed since or not: the notice says what it
        # said when it was issued, whenever it is printed again (and keeps its digest)
        _findings_table(d),
        r.Paragraph(
            "请你校高度重视，明确责任人，逐项落实整改，于整改期限前将整改报告（附佐证材料）"
            "报送督导中心。督导中心将按期复查，逾期未整改的将通报并报县教委。"
        ),
        r.Spacer(2),
        r.SignatureBlock([r.Signer("督学", names), r.Signer("学校签收人")],
                         closing=r.Closing(issuer, _made_on(d))),
        _distribution(issuer, d),
    ]
    return r.Document(
        title="督导整改通知书" + ("" if d.locked else "（草稿）"),
        issuer=issuer,
        report_id=f"{d.visit['id']}:rectification",
        kind="rectification",
        blocks=blocks,
        letterhead=letterhead,
        doc_number=d.visit.get("notice_no"),
        draft=not d.locked,
    )
