"""Synthetic people for the demo county: students, guardians, names, IDs and phones.

Everything draws from the `random.Random` it is given, so the same seed gives the same
people. Name lists live in resources/demo/people.json, places in places.json.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from wushan_desk import paths
from wushan_desk.domain import codes, ids

T = TypeVar("T")

WUSHAN_AREA = "500237"
#: Wushan children whose ID was issued before their hukou moved to Wushan.
MOVED_IN_AREAS = ("500236", "500238", "500101")

#: The demo is set in the school year 2026-27: a 一年级 child was born between
#: 2019-09-01 and 2020-08-31 (six years old on 1 September 2026).
FIRST_GRADE_BORN = 2019
#: Years from 一年级 for each grade (小班 three years before, 高一 nine after).
GRADE_OFFSET: dict[str, int] = {
    **{g: i - 3 for i, g in enumerate(codes.PRESCHOOL)},
    **{g: i for i, g in enumerate(codes.PRIMARY + codes.JUNIOR + codes.SENIOR)},
    **{g: 9 + i for i, g in enumerate(codes.VOCATIONAL)},
}
SENIOR_GRADES = frozenset(codes.SENIOR + codes.VOCATIONAL)
CLASS_SIZE = {"preschool": 30, "primary": 45, "junior": 50, "senior": 55, "vocational": 50}
COUNTY_LEVEL_TYPES = frozenset({"高中", "完全中学", "中职", "特殊教育学校"})


@cache
def people_data() -> dict[str, Any]:
    """Surnames with weights, given names, rare characters (resources/demo/people.json)."""
    return _load("people.json")


@cache
def places_data() -> dict[str, Any]:
    """School map, supervision zones, village name parts (resources/demo/places.json)."""
    return _load("places.json")


def _load(name: str) -> dict[str, Any]:
    return json.loads((paths.resources_dir() / "demo" / name).read_text(encoding="utf-8"))


class Weighted(Generic[T]):
    """Picks items by weight with one `rng.random()` call (cheaper than rng.choices)."""

    def __init__(self, weights: Mapping[T, float] | Sequence[tuple[T, float]]) -> None:
        pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(float(w) for _, w in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


RELATIONS_USUAL = Weighted({"父亲": 48, "母亲": 40, "祖父": 3, "祖母": 5, "外祖母": 2, "其他": 2})
#: A left-behind child (留守儿童) lives without either parent: grandparents mostly.
RELATIONS_LEFT_BEHIND = Weighted({"祖父": 20, "祖母": 45, "外祖父": 5, "外祖母": 15, "其他": 15})
RELATIONS_NO_PARENTS = Weighted({"祖父": 25, "祖母": 35, "外祖父": 5, "外祖母": 10, "其他": 25})
RELATION_SEX = {
    "父亲": "男", "祖父": "男", "外祖父": "男", "母亲": "女", "祖母": "女", "外祖母": "女",
}


# ------------------------------------------------------------------- the map's parts


@dataclass(eq=False)
class Township:
    """A township of the plan: its villages and its supervision zone."""

    name: str
    id: str
    short: str
    tier: str  # seat (county seat) | town | township
    weight: float  # relative population
    villages: list[str]
    spare_villages: Iterator[str]  # names not yet given to a school
    zone: list[Township] = field(default_factory=list)

    def address(self, rng: random.Random, village: str | None = None) -> str:
        if village:
            return f"重庆市巫山县{self.name}{village}村{rng.randint(1, 9)}组"
        roads = places_data()["seat_roads" if self.tier == "seat" else "town_roads"]
        return f"重庆市巫山县{self.name}{rng.choice(roads)}{rng.randint(1, 299)}号"


@dataclass(eq=False)
class School:
    """A school of the plan, before it becomes a record."""

    name: str
    type: str
    township: Township
    role: str  # central | central_kg | junior | county | village | point | kg
    size: float  # relative number of students
    boarding: bool
    village: str | None = None
    id: str = ""
    head: str = ""
    head_sex: str = ""
    students: int = 0

    @property
    def county_level(self) -> bool:
        return self.role == "county" and self.type in COUNTY_LEVEL_TYPES

    @property
    def in_county_seat(self) -> bool:
        return self.township.tier == "seat"

    def class_size(self, grade: str) -> int:
        """Largest class: a teaching point teaches each grade as one class."""
        if self.type == "教学点":
            return 10**6
        if self.type == "特殊教育学校":
            return 12
        for stage, grades in (("preschool", codes.PRESCHOOL), ("primary", codes.PRIMARY),
                              ("junior", codes.JUNIOR), ("vocational", codes.VOCATIONAL)):
            if grade in grades:
                return CLASS_SIZE[stage]
        return CLASS_SIZE["senior"]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders; sums exactly)."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A day between `first` and `last`, both included."""
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


# ---------------------------------------------------------------------------- people


class People:
    """Makes names, IDs and phones; remembers ID-like numbers to keep them unique."""

    def __init__(self, rng: random.Random) -> None:
        data = people_data()
        self.rng = rng
        self.surnames = Weighted(data["surnames"])
        self.child_names = {"男": data["child_male_names"], "女": data["child_female_names"]}
        self.child_chars = {"男": data["child_male_chars"], "女": data["child_female_chars"]}
        self.child_single = {"男": data["child_male_single"], "女": data["child_female_single"]}
        self.adult_names = {"男": data["adult_male_names"], "女": data["adult_female_names"]}
        self.rare_chars: list[str] = data["rare_chars"]
        self.mobile_prefixes: list[str] = data["mobile_prefixes"]
        self._used_numbers: set[str] = set()

    def surname(self) -> str:
        return self.surnames.pick(self.rng)

    def child_given(self, sex: str, *, rare: bool = False) -> str:
        """A popular given name, a composed one, or one character.

        With `rare`, one character lies outside GB2312 (堃, 燚, 𠮷 ...).
        """
        rng = self.rng
        first, second = self.child_chars[sex]
        if rare:
            char = rng.choice(self.rare_chars)
            r = rng.random()
            if r < 0.35:
                return char
            return rng.choice(first) + char if r < 0.7 else char + rng.choice(second)
        r = rng.random()
        if r < 0.5:
            return rng.choice(self.child_names[sex])
        if r < 0.85:
            a, b = rng.choice(first), rng.choice(second)
            return a + b if a != b else a
        return rng.choice(self.child_single[sex])

    def adult_name(self, sex: str, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.rng.choice(self.adult_names[sex])

    def resident_id(self, area: str, born: dt.date, sex: str) -> str:
        """A valid, unused 18-character ID; the sequence's parity gives the sex."""
        first14 = area + born.strftime("%Y%m%d")
        while True:
            seq = self.rng.randrange(500) * 2 + 1 if sex == "男" else self.rng.randrange(1, 500) * 2
            first17 = f"{first14}{seq:03d}"
            number = first17 + ids.resident_id_check_char(first17)
            if number not in self._used_numbers:
                self._used_numbers.add(number)
                return number

    def substitute_number(self, area: str, born: dt.date, sex: str) -> str:
        """学籍号 of a student without a usable ID: J + an ID-like code, or L + a temporary one."""
        if self.rng.random() < 0.6:
            return "J" + self.resident_id(area, born, sex)
        first14 = area + born.strftime("%Y%m%d")
        while True:
            number = f"L{first14}{self.rng.randrange(10_000):04d}"
            if number not in self._used_numbers:
                self._used_numbers.add(number)
                return number

    def mobile(self) -> str:
        return self.rng.choice(self.mobile_prefixes) + f"{self.rng.randrange(100_000_000):08d}"


# -------------------------------------------------------------------------- students


class Students:
    """Makes the students of the planned schools, grade by grade and class by class."""

    def __init__(self, rng: random.Random, townships: list[Township],
                 new_id: Callable[[], str]) -> None:
        self.rng = rng
        self.people = People(rng)
        self.new_id = new_id
        self.seat = Weighted([(t, t.weight) for t in townships if t.tier == "seat"])
        self.rural = Weighted([(t, t.weight) for t in townships if t.tier != "seat"])
        self.migrant_areas = Weighted([(a, a["weight"]) for a in places_data()["migrant_areas"]])

    def of(self, schools: Sequence[School]) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for school in schools:
            grades = codes.GRADES_BY_SCHOOL_TYPE[school.type]
            # Senior classes shrink a little year by year (some leave for work).
            weights = [rng.uniform(0.85, 1.15) * (1 - 0.05 * i if g in SENIOR_GRADES else 1)
                       for i, g in enumerate(grades)]
            for grade, n in zip(grades, apportion(school.students, weights), strict=True):
                n_classes = max(1, math.ceil(n / school.class_size(grade)))
                for k in range(n):
                    yield self.student(school, grade, f"{k % n_classes + 1}班")

    def student(self, school: School, grade: str, class_name: str) -> dict[str, Any]:
        rng, people = self.rng, self.people
        sex = "男" if rng.random() < 0.52 else "女"
        born = self._birth_date(school, grade)
        home, migrant_area = self._origin(school)
        if migrant_area:
            area = migrant_area["code"]
            rural_hukou = rng.random() < 0.8
            place = migrant_area["prefix"] + rng.choice(migrant_area["towns"])
            hukou_address = (
                f"{place}{rng.choice(home.villages)}村{rng.randint(1, 9)}组" if rural_hukou
                else f"{place}{rng.choice(places_data()['town_roads'])}{rng.randint(1, 199)}号"
            )
        else:
            area = WUSHAN_AREA if rng.random() < 0.99 else rng.choice(MOVED_IN_AREAS)
            rural_hukou = rng.random() < (0.35 if home.tier == "seat" else 0.92)
            hukou_address = home.address(rng, rng.choice(home.villages) if rural_hukou else None)

        groups = self._groups(school, grade, rural_hukou, migrant_area is not None)
        if "孤儿" in groups or "事实无人抚养" in groups:
            relation = RELATIONS_NO_PARENTS.pick(rng)
        elif "留守儿童" in groups:
            relation = RELATIONS_LEFT_BEHIND.pick(rng)
        else:
            relation = RELATIONS_USUAL.pick(rng)
        guardian_sex = RELATION_SEX.get(relation) or rng.choice(codes.SEXES)
        surname = people.surname()
        same_surname = relation in ("父亲", "祖父") or (relation == "其他" and rng.random() < 0.5)
        name = surname + people.child_given(sex, rare=rng.random() < 0.01)

        if rng.random() < 0.02:
            resident_id, number = None, people.substitute_number(area, born, sex)
        else:
            resident_id = people.resident_id(area, born, sex)
            number = "G" + resident_id
        return {
            "id": self.new_id(), "name": name, "sex": sex, "birth_date": born.isoformat(),
            "resident_id": resident_id, "student_number": number, "school_id": school.id,
            "grade": grade, "class_name": class_name,
            "guardian_name": people.adult_name(guardian_sex, surname if same_surname else None),
            "guardian_relation": relation,
            "guardian_phone": people.mobile() if rng.random() < 0.98 else None,
            "hukou_type": "农村" if rural_hukou else "城镇",
            "hukou_address": hukou_address,
            "special_groups": groups,
        }

    def _birth_date(self, school: School, grade: str) -> dt.date:
        """Born in the grade's school-year cohort; a few started late or repeated a year."""
        rng = self.rng
        year = FIRST_GRADE_BORN - GRADE_OFFSET[grade]
        r = rng.random()
        if school.type == "特殊教育学校":
            year -= rng.randrange(3)
        elif r < 0.006:
            year -= 2
        elif r < (0.04 if school.in_county_seat else 0.07):
            year -= 1
        return random_date(rng, dt.date(year, 9, 1), dt.date(year + 1, 8, 31))

    def _origin(self, school: School) -> tuple[Township, dict[str, Any] | None]:
        """The hukou township, or another county for a migrant child."""
        rng = self.rng
        r = rng.random()
        if school.county_level:
            seat_share, wushan_share = 0.30, 0.98
        elif school.in_county_seat:
            seat_share, wushan_share = 0.35, 0.92
        else:  # a township school: its own children, some from the zone, few migrants
            if r < 0.94:
                return school.township, None
            if r < 0.99:
                return rng.choice(school.township.zone or [school.township]), None
            return school.township, self.migrant_areas.pick(rng)
        if r < seat_share:
            return self.seat.pick(rng), None
        if r < wushan_share:
            return self.rural.pick(rng), None
        return school.township, self.migrant_areas.pick(rng)

    def _groups(self, school: School, grade: str, rural_hukou: bool,
                migrant: bool) -> list[str]:
        """Special groups at roughly the rates a Wushan township sees."""
        rng = self.rng
        groups: list[str] = []
        r = rng.random()
        if r < 0.003:
            groups += ["孤儿", "困境儿童"] + (["特困供养"] if rng.random() < 0.6 else [])
        elif r < 0.006:
            groups += ["事实无人抚养", "困境儿童"]
        elif grade not in SENIOR_GRADES and not migrant and rng.random() < (
            0.08 if school.in_county_seat else 0.22
        ):
            groups.append("留守儿童")
        if migrant and (school.in_county_seat or rng.random() < 0.5):
            groups.append("随迁子女")
        if rng.random() < (0.12 if rural_hukou else 0.03):
            groups.append("脱贫家庭")
        elif rural_hukou and rng.random() < 0.02:
            groups.append("监测户")
        if rng.random() < (0.3 if "孤儿" in groups else 0.03):
            groups.append("低保")
        if school.type == "特殊教育学校" or rng.random() < 0.01:
            groups.append("残疾")
        if "困境儿童" not in groups and rng.random() < 0.01:
            groups.append("困境儿童")
        return groups
