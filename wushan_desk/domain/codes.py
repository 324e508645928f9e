"""Classification codes used by the validators: school types, grades, groups.

These follow the national statistical classifications and change rarely; amounts,
standards and checklists (which change by year) live in the database as data instead.
"""

from __future__ import annotations

SEXES = ("男", "女")

SCHOOL_TYPES = (
    "幼儿园",
    "小学",
    "初中",
    "九年一贯制",
    "完全中学",
    "高中",
    "中职",
    "特殊教育学校",
    "教学点",
)

TOWNSHIP_KINDS = ("街道", "镇", "乡")

PRESCHOOL = ("小班", "中班", "大班")
PRIMARY = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")
JUNIOR = ("七年级", "八年级", "九年级")
SENIOR = ("高一", "高二", "高三")
VOCATIONAL = ("中职一年级", "中职二年级", "中职三年级")

#: Grades a school of each type may teach, in teaching order.
GRADES_BY_SCHOOL_TYPE: dict[str, tuple[str, ...]] = {
    "幼儿园": PRESCHOOL,
    "小学": PRIMARY,
    "初中": JUNIOR,
    "九年一贯制": PRIMARY + JUNIOR,
    "完全中学": JUNIOR + SENIOR,
    "高中": SENIOR,
    "中职": VOCATIONAL,
    "特殊教育学校": PRESCHOOL + PRIMARY + JUNIOR,
    "教学点": PRESCHOOL[-1:] + PRIMARY[:4],
}

#: Every grade in teaching order; the index is the sort key.
ALL_GRADES: tuple[str, ...] = PRESCHOOL + PRIMARY + JUNIOR + SENIOR + VOCATIONAL
GRADE_ORDER: dict[str, int] = {g: i for i, g in enumerate(ALL_GRADES)}

#: Groups to watch (domain.md, dropout control and student aid).
SPECIAL_GROUPS = (
    "留守儿童",
    "孤儿",
    "事实无人抚养",
    "残疾",
    "困境儿童",
    "随迁子女",
    "脱贫家庭",
    "监测户",
    "低保",
    "特困供养",
    "涉案未成年人",
)

HUKOU_TYPES = ("农村", "城镇")

STAFF_ROLES = ("责任督学", "督导中心主任", "工作人员", "校长", "教师", "县督导室")

DEVICE_ROLES = ("hub", "centre", "demo")
