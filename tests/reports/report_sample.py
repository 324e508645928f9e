"""A realistic 督导意见书 built from the report blocks (used by the tests; run it to look).

    python tests/reports/report_sample.py /tmp/sample.pdf

Eight routine items with their checklist lines (several pages), a finding whose
整改要求 wraps over several lines inside its cell, a rare-character school (巫山县𠮷祥乡䶮村小学)
and inspector (向堃), two captured signatures (PNG made here with zlib/struct) and one
blank signature line.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

from wushan_desk import reports as r

SCHOOL = "巫山县𠮷祥乡䶮村小学"
INSPECTOR = "向堃"
SECOND_INSPECTOR = "谭明燚"
REPORT_ID = "5f0c2a9e-7d1b-4c3e-9a61-2b8e4f1d0c37"
LONG_REQUIREMENT = (
    "学校食堂未落实学校负责人陪餐制度，2月份陪餐记录缺失11天，且营养改善计划膳食经费"
    "公示栏未及时更新。要求：一、校长（园长）及其他学校负责人须每餐轮流陪餐并当日填写陪餐记录，"
    "记录内容包括陪餐人员、餐次、饭菜质量、学生意见及处理情况；二、立即更新营养改善计划"
    "膳食经费公示内容，按月公示资金收支明细，公示期不少于15天；三、由总务主任牵头对食堂"
    "食品留样、出入库台账进行一次全面自查，形成书面报告并附整改前后照片，于整改期限内"
    "报送骡坪镇教育督导中心备查。"
)

# (section, [(content and points, deduction rule, method, self score, inspector score)])
CHECKLIST: list[tuple[str, list[tuple[str, str, str, float, float]]]] = [
    ("一、学校管理与制度建设", [
        ("章程完善，按章程办学；校务公开，重大事项集体决策（4分）",
         "无章程扣2分；未公开扣1分", "查阅资料", 4, 4),
        ("安全、财务、档案等管理制度健全并落实（4分）", "缺一项扣1分", "查阅资料", 4, 3),
        ("教职工大会制度、家长委员会正常运作（2分）", "未召开扣1分", "访谈", 2, 2),
    ]),
    ("二、招生、收费与择校", [
        ("按划片就近入学方案招生，无违规择校、提前招生（4分）", "发现一例扣2分",
         "查阅资料", 4, 4),
        ("收费项目、标准公示，无违规收费、代收费（4分）", "违规收费本项不得分",
         "实地查看", 4, 4),
    ]),
    ("三、课程开设与课堂教学", [
        ("课程“三开”：开齐、开足、开好国家课程，课表与实际一致（6分）",
         "缺一门扣2分；课表与实际不符扣2分", "查阅资料、听课", 6, 5),
        ("教学常规落实：备课、上课、作业、辅导、评价（4分）", "抽查不合格一项扣1分",
         "听课、查阅资料", 4, 3.5),
    ]),
    ("四、学生学习、锻炼与课业负担", [
        ("双减：一二年级不布置书面家庭作业，三至六年级书面作业平均不超过60分钟（5分）",
         "超标一个班扣1分", "问卷、访谈", 5, 4),
        ("五项管理：睡眠、手机、读物、体质、作业管理落实（5分）", "一项未落实扣1分",
         "访谈、查阅资料", 5, 5),
        ("体育课每周一二年级4节、三至九年级3节，每天校内体育活动1小时（4分）",
         "不足扣2分", "查阅课表、实地查看", 4, 4),
        ("课后服务时间与当地正常下班时间相衔接（2分）", "未衔接扣1分", "访谈", 2, 2),
    ]),
    ("五、教师师德与专业发展", [
        ("师德师风建设，无有偿补课、体罚学生等行为（5分）", "发现一例本项不得分",
         "访谈、问卷", 5, 5),
        ("教师培训、校本研修有计划、有记录（3分）", "无记录扣1分", "查阅资料", 3, 2),
    ]),
    ("六、校园及周边与交通安全", [
        ("校舍、消防、用电安全，隐患排查台账完整（5分）", "发现隐患未整改扣2分",
         "实地查看", 5, 4),
        ("上下学交通安全，校车、接送车辆管理规范（4分）", "不规范扣2分", "实地查看", 4, 4),
        ("防溺水、防欺凌教育开展，有记录（3分）", "无记录扣1分", "查阅资料", 3, 3),
    ]),
    ("七、食堂、食品、饮水与宿舍", [
        ("食品安全：索证索票、留样、出入库台账（5分）", "缺一项扣1分", "实地查看", 5, 4),
        ("学校负责人陪餐并有陪餐记录（4分）", "记录缺失扣2分", "查阅资料", 4, 2),
        ("营养改善计划膳食经费专款专用并公示（4分）", "未公示扣2分", "查阅资料", 4, 2),
        ("饮水安全、宿舍管理（3分）", "发现问题扣1分", "实地查看", 3, 3),
    ]),
    ("八、校园文化建设", [
        ("校园文化体现育人导向，环境整洁（3分）", "不整洁扣1分", "实地查看", 3, 3),
        ("少先队、社团活动正常开展（3分）", "未开展扣1分", "访谈", 3, 3),
    ]),
]


def png_bytes(width: int, height: int, pixels: bytearray) -> bytes:
    """An RGBA PNG from raw pixel bytes (stdlib only)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + bytes(pixels[y * width * 4 : (y + 1) * width * 4])
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def signature_png(seed: int, width: int = 360, height: int = 120) -> bytes:
    """A scribble in dark blue ink on a transparent background, like a signature pad's."""
    pixels = bytearray(width * height * 4)

    def dot(x: float, y: float) -> None:
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                px, py = int(x) + dx, int(y) + dy
                if 0 <= px < width and 0 <= py < height:
                    i = (py * width + px) * 4
                    pixels[i : i + 4] = bytes((20, 30, 110, 255))

    steps = 4000
    for s in range(steps):
        t = s / steps
        x = 20 + t * (width - 40)
        y = (height / 2
             + 30 * math.sin(t * (9 + seed) * math.pi)
             + 14 * math.sin(t * (23 + 2 * seed) * math.pi + seed))
        dot(x, y)
    return png_bytes(width, height, pixels)


def build_sample(*, school: str = SCHOOL, requirement: str = LONG_REQUIREMENT) -> r.Document:
    rows: list = []
    self_total = insp_total = max_total = 0.0
    n = 0
    for section, items in CHECKLIST:
        rows.append(r.SectionRow(section))
        for content, rule, method, self_score, insp_score in items:
            n += 1
            rows.append([n, content, rule, method, self_score, insp_score])
            max_total += self_score
            self_total += self_score
            insp_total += insp_score
    score_table = r.Table(
        columns=[
            r.Column("序号", 0.6, "center"),
            r.Column("检查内容及分值", 3.1),
            r.Column("扣分办法", 1.9),
            r.Column("检查方式", 1.2, "center"),
            r.Column("自评", 0.7, "center"),
            r.Column("督评", 0.7, "center"),
        ],
        rows=rows,
        totals=["", f"合计（满分 {max_total:g} 分）", "", "",
                self_total, insp_total],
        caption="表1 经常性督导评分表",
    )
    findings = r.Table(
        columns=[
            r.Column("序号", 0.6, "center"),
            r.Column("存在问题", 1.6),
            r.Column("整改要求", 4.2),
            r.Column("整改期限", 1.1, "center"),
            r.Column("责任人", 0.9, "center"),
        ],
        rows=[
            [1, "陪餐记录缺失，膳食经费公示未更新", requirement, "2026年4月11日", "李校长"],
            [2, "教师校本研修记录不全", "补齐本学期校本研修计划与活动记录，每次活动有签到、"
             "有主题、有小结。", "2026年4月11日", "教务主任"],
            [3, "消防通道堆放杂物", "立即清理消防通道，建立每日巡查记录。", "立即整改",
             "总务主任"],
        ],
        style="zebra",
        size=r.SIZE_XIAO4,
        caption="表2 问题清单及整改要求",
    )
    return r.Document(
        title="督导意见书",
        issuer="巫山县人民政府教育督导室",
        letterhead=["巫山县人民政府教育督导室", "骡坪镇教育督导中心"],
        doc_number="巫督〔2026〕12号",
        report_id=REPORT_ID,
        kind="inspection",
        blocks=[
            r.Paragraph(f"{school}：", indent=0),
            r.Paragraph(
                f"根据《教育督导条例》和《中小学校责任督学挂牌督导办法》，2026年3月12日，"
                f"责任督学{INSPECTOR}、{SECOND_INSPECTOR}对你校开展了经常性督导。督导采取查阅资料、"
                "听课、访谈、问卷和实地查看相结合的方式进行。现将督导意见反馈如下。"
            ),
            r.Heading("一、基本情况"),
            r.KeyValueTable([
                ("学校", school), ("督导日期", "2026年3月12日"),
                ("督导类型", "经常性督导"), ("责任督学", f"{INSPECTOR}、{SECOND_INSPECTOR}"),
                ("学校负责人", "李国华"), ("检查表", "经常性督导检查表（2026版）"),
            ]),
            r.Heading("二、督导评分"),
            score_table,
            r.Heading("三、存在问题及整改要求"),
            findings,
            r.Paragraph(
                "请你校对照上述问题认真整改，于整改期限内将整改报告（附佐证材料）报送骡坪镇"
                "教育督导中心；对督导意见有异议的，可在收到本意见书之日起15日内提出。"
                "督导中心将在整改期限届满后30日内进行复查。"
            ),
            r.SignatureBlock([
                r.Signer("责任督学", INSPECTOR, signature_png(1), "2026年3月12日"),
                r.Signer("责任督学", SECOND_INSPECTOR, signature_png(3), "2026年3月12日"),
                r.Signer("学校负责人"),
            ]),
            r.Spacer(4),
            r.Paragraph("巫山县人民政府教育督导室\n骡坪镇教育督导中心\n2026年3月12日",
                        align="right", indent=0),
        ],
    )


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/report-sample.pdf")
    result = r.render_pdf(build_sample(), out)
    print(out, result)
