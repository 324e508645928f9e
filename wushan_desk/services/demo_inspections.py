"""Demo inspection history: two school years of visits with answers, findings, follow-ups.

Every school gets about two routine visits a term (a few fewer, so the coverage view
has something to show) and a term-start inspection each autumn; low answers turn into
findings with deadlines; most findings are closed by a 复查, some are still open and a
few are overdue; the latest visits may still be drafts. Deterministic: only the given
random generator and a fixed "today".

A finalized visit is complete, as 定稿 requires (rules.finalize_problems): every item
answered, signed on paper, and a photo on each item that needs one. The photos are one
demo picture stored once (`store_photo`), each an attachment record of its answer;
without it (`photo=None`) the items that need a photo are answered but not photographed.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import doc_numbers
from wushan_desk.domain import inspection as rules
from wushan_desk.services import attachments
from wushan_desk.store import blobs
from wushan_desk.store.workspace import Workspace

#: The demo's today: history is generated up to here, whatever the real date.
DEMO_TODAY = dt.date(2026, 11, 28)
TERMS = (
    "2024-2025学年第一学期",
    "2024-2025学年第二学期",
    "2025-2026学年第一学期",
    "2025-2026学年第二学期",
    "2026-2027学年第一学期",
)

PROBLEMS = {
    "行政": (
        "学校管理制度汇编未及时修订，部分制度与现行规定不一致。",
        "对照现行规定修订管理制度并经教代会审议。",
    ),
    "招生": (
        "收费公示栏未更新本学期代收费项目。",
        "在校门口公示栏和家长群公示全部收费项目及标准。",
    ),
    "课程": (
        "课表未开设书法课，部分班级美术课被语文课占用。",
        "按国家课程方案开齐开足课程，严禁挤占。",
    ),
    "学生": ("三年级部分班级书面作业时间超过60分钟。", "建立作业公示和统筹制度，控制作业总量。"),
    "教师": ("教师师德档案记录不完整。", "完善教师师德考核档案，每学期记录一次。"),
    "安全": ("教学楼二楼消防器材过期未更换。", "立即更换过期消防器材，建立月检台账。"),
    "食堂": ("陪餐记录不完整，部分餐次无校领导签字。", "落实校领导每餐陪餐制度并逐餐登记签字。"),
    "文化": ("校园文化墙内容陈旧，未体现本学期主题教育。", "更新校园文化墙内容。"),
}


@dataclass(frozen=True)
class Template:
    id: str
    kind: str
    items: Sequence[Mapping[str, Any]]
    deadline_days: int


PHOTO_NAME = "演示照片.png"


@dataclass(frozen=True)
class DemoPhoto:
    """The demo's evidence picture, stored once in the workspace's file store."""

    sha256: str
    size: int


def demo_png(width: int = 320, height: int = 240) -> bytes:
    """A plain grey-blue picture as PNG bytes (made here: the services use no Qt)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes((0xC8, 0xD2, 0xDC)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def store_photo(ws: Workspace) -> DemoPhoto:
    """Store the demo picture (once per content) for `History(photo=...)`."""
    sha256, size = blobs.store_bytes(ws.files_dir, demo_png(), attachments.max_bytes(ws),
                                     PHOTO_NAME, ws.key)
    return DemoPhoto(sha256, size)


def needs_photo(item: Mapping[str, Any]) -> bool:
    """Does a finalized visit's answer to this item need a photo (demo answers are never
    不适用)?"""
    return item.get("item_kind") == rules.PHOTO or bool(item.get("photo_required"))


def term_dates(term: str) -> tuple[dt.date, dt.date]:
    first, last = rules.term_range(term)
    return max(first, dt.date(first.year, first.month, 5)), min(last, DEMO_TODAY)


class History:
    """Yields (kind, record) pairs in an order that satisfies every reference."""

    def __init__(
        self,
        rng: random.Random,
        new_id: Callable[[], str],
        routine: Template,
        term_start: Template,
        photo: DemoPhoto | None = None,
    ) -> None:
        self.rng, self.new_id = rng, new_id
        self.routine, self.term_start = routine, term_start
        self.photo = photo

    def for_school(
        self, school: Mapping[str, Any], inspectors: Sequence[str]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        rng = self.rng
        mine = rng.sample(list(inspectors), k=min(len(inspectors), 2)) or []
        if not mine:
            return
        for term in TERMS:
            first, last = term_dates(term)
            if last <= first:
                continue
            days = sorted(
                first + dt.timedelta(days=rng.randrange((last - first).days))
                for _ in range(rng.choices((1, 2, 3), (12, 80, 8))[0])
            )
            if term.endswith("第一学期") and rng.random() < 0.75:
                days.insert(0, first + dt.timedelta(days=rng.randrange(10)))
                plan = [(self.term_start, "专项")] + [(self.routine, "经常性")] * (len(days) - 1)
            else:
                plan = [(self.routine, "经常性")] * len(days)
            for day, (template, kind) in zip(days, plan, strict=True):
                yield from self._visit(school, mine, template, kind, day)

    def _visit(
        self,
        school: Mapping[str, Any],
        inspectors: list[str],
        template: Template,
        kind: str,
        day: dt.date,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        rng = self.rng
        visit_id = self.new_id()
        recent = (DEMO_TODAY - day).days < 10
        final = not (recent and rng.random() < 0.5)
        answers = [self._answer(visit_id, item) for item in template.items]
        by_item = {a["item_id"]: a for a in answers}
        sections = rules.section_scores(template.items, by_item)
        visit = {
            "id": visit_id,
            "school_id": school["id"],
            "date": day.isoformat(),
            "kind": kind,
            "template_id": template.id,
            "inspector_ids": inspectors,
            "term": rules.term_of(day),
            "status": rules.FINAL if final else rules.DRAFT,
            "summary": self._summary(sections),
            "head_name": school.get("head"),
            "signed_on_paper": final,
            "finalized_on": day.isoformat() if final else None,
            "total_score": sum(s.got for s in sections) if final else None,
            "max_score": sum(s.top for s in sections) if final else None,
            "follow_up_of": None,
        }
        yield "visit", visit
        items = {i["id"]: i for i in template.items}
        for answer in answers:
            item = items[answer["item_id"]]
            if final and self.photo and needs_photo(item):
                attachment = self._photo_of(answer)
                answer["photo_ids"] = [attachment["id"]]
                if item["item_kind"] == rules.PHOTO:
                    answer["value"] = "照片1张"  # as the editor saves a photo item
                yield "attachment", attachment
            yield "visit_answer", answer
        low = [i for i in template.items if _is_low(i, by_item.get(i["id"]))]
        if low and rng.random() < 0.35:
            chosen = rng.sample(low, k=min(len(low), rng.choice((1, 1, 2))))
            yield from self._findings(visit, chosen, day, template.deadline_days)
        if final:
            for role, name in (("督学", "督学"), ("校长（园长）", school.get("head") or "校长")):
                yield (
                    "visit_signature",
                    {
                        "id": self.new_id(),
                        "visit_id": visit_id,
                        "role": role,
                        "name": name,
                        "attachment_id": None,
                        "on_paper": True,
                        "signed_on": day.isoformat(),
                    },
                )

    def _answer(self, visit_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
        rng, kind, top = self.rng, item["item_kind"], float(item.get("max_score") or 0)
        value: str | None
        if kind == rules.SCORE:
            lost = rng.choices((0, 0.5, 1, 2), (70, 12, 12, 6))[0]
            value = f"{max(0.0, top - lost):g}"
        elif kind == rules.YES_NO:
            value = rules.YES if rng.random() < 0.9 else rules.NO
        elif kind == rules.RATING:
            value = rng.choices(rules.RATINGS, (70, 25, 5))[0]
        elif kind == rules.NUMBER:
            value = str(rng.choice((2, 3, 3, 4, 4, 4)))
        elif kind == rules.CHOICE:
            value = rng.choice(list(item.get("choices") or ["是"]))
        else:
            value = "已查看" if kind == rules.TEXT else "已拍照存档"
        return {
            "id": rules.answer_id(visit_id, item["id"]),
            "visit_id": visit_id,
            "item_id": item["id"],
            "value": value,
            "score": rules.score_answer(item, value),
            "note": None,
            "photo_ids": [],
        }

    def _photo_of(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        """An attachment record of the demo picture, owned by the answer."""
        assert self.photo is not None
        return {
            "id": self.new_id(),
            "sha256": self.photo.sha256,
            "size": self.photo.size,
            "filename": PHOTO_NAME,
            "mime": "image/png",
            "owner_kind": "visit_answer",
            "owner_id": answer["id"],
            "note": "督导照片",
        }

    def _findings(
        self,
        visit: Mapping[str, Any],
        items: Sequence[Mapping[str, Any]],
        day: dt.date,
        default_days: int,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The visit's findings, and one 复查 visit that checks them all (if due by today)."""
        rng = self.rng
        findings = []
        for item in items:
            description, requirement = next(
                (p for key, p in PROBLEMS.items() if key in item["section"]),
                (f"{item['content'][:30]}……未达到要求。", "对照检查要求限期整改。"),
            )
            deadline = day + dt.timedelta(days=int(item.get("deadline_days") or default_days))
            findings.append(
                {
                    "id": self.new_id(),
                    "visit_id": visit["id"],
                    "item_id": item["id"],
                    "description": description,
                    "severity": rng.choices(rules.SEVERITIES, (70, 25, 5))[0],
                    "requirement": requirement,
                    "deadline": deadline.isoformat(),
                    "responsible": visit.get("head_name"),
                    "status": rules.OPEN,
                    "closed_on": None,
                }
            )
        latest = max(dt.date.fromisoformat(f["deadline"]) for f in findings)
        checked = latest + dt.timedelta(days=rng.randint(-5, 10))
        if checked > DEMO_TODAY or rng.random() < 0.12:  # not re-checked (yet): may be overdue
            for f in findings:
                yield "finding", f
            return
        check_visit = self.new_id()
        yield (
            "visit",
            dict(visit)
            | {
                "id": check_visit,
                "date": checked.isoformat(),
                "kind": "复查",
                "term": rules.term_of(checked),
                "follow_up_of": visit["id"],
                "summary": "复查整改落实情况。",
                "finalized_on": checked.isoformat(),
                "status": rules.FINAL,
                "total_score": None,
                "max_score": None,
            },
        )
        for f in findings:
            result = rules.FIXED if rng.random() < 0.85 else rules.PARTLY
            f |= {
                "status": result,
                "closed_on": checked.isoformat() if result == rules.FIXED else None,
            }
            yield "finding", f
            yield (
                "finding_check",
                {
                    "id": self.new_id(),
                    "finding_id": f["id"],
                    "visit_id": check_visit,
                    "result": result,
                    "note": "现场查看整改材料。",
                    "photo_ids": [],
                    "checked_on": checked.isoformat(),
                },
            )

    def _summary(self, sections: Sequence[rules.SectionScore]) -> str:
        weak = [s.section for s in sections if s.top and s.got < s.top * 0.9]
        if not weak:
            return "学校办学行为规范，各项工作落实较好。"
        return f"学校办学总体规范。{'、'.join(weak[:2])}方面需进一步加强。"


def number_documents(visits: Sequence[dict[str, Any]], findings: Sequence[Mapping[str, Any]],
                     code: str) -> None:
    """Give the finalized visits the 发文字号 定稿 gives (services/inspection.finalize):
    the 督导意见书 a number, and the 整改通知书 the next when the visit found problems,
    under this computer's `code`, in the order they were finalized, from 1 each year."""
    with_problems = {f["visit_id"] for f in findings}
    last: dict[int, int] = {}
    for visit in sorted((v for v in visits if v["status"] == rules.FINAL),
                        key=lambda v: (v["finalized_on"], v["date"], v["id"])):
        year = int(visit["finalized_on"][:4])
        wanted = 2 if visit["id"] in with_problems else 1
        first = last.get(year, 0) + 1
        last[year] = first + wanted - 1
        visit["opinion_no"] = doc_numbers.format_number(code, year, first)
        visit["notice_no"] = (doc_numbers.format_number(code, year, first + 1)
                              if wanted == 2 else None)


def _is_low(item: Mapping[str, Any], answer: Mapping[str, Any] | None) -> bool:
    if not answer:
        return False
    if item["item_kind"] in (rules.YES_NO,):
        return answer["value"] == rules.NO
    if item["item_kind"] == rules.RATING:
        return answer["value"] == "差"
    top = float(item.get("max_score") or 0)
    return item["item_kind"] == rules.SCORE and (answer["score"] or 0) <= top - 2
