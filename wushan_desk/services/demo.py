"""The demo county: a deterministic synthetic Wushan to try the app on.

`build_demo` fills a workspace with supervision centres, their zones, ~250 schools, staff
and ~60,000 students (at scale 1) that look like Wushan's: the 26 real townships,
school names in the county's style, valid resident IDs of area 500237, Three Gorges
surnames, ~1% of names with characters outside GB2312, and the special groups
(留守儿童, 脱贫家庭 ...) at realistic rates.

Same seed and scale give the same records with the same ids: every random choice comes
from one `random.Random(seed)`, never from the clock or the global generator. Only the
bookkeeping (HLC stamps, this device's id) differs between builds.

Everything is validated by `entities.validate_record` and written through
`changes.insert_many` in one transaction; cancelling rolls it back, and a file this
call created is removed again.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wushan_desk.domain import codes, entities
from wushan_desk.domain.errors import ValidationError
from wushan_desk.progress import (
    Cancelled,
    CancelledFn,
    ProgressFn,
    never_cancelled,
    no_progress,
)
from wushan_desk.services import (
    accounts,
    aid,
    demo_aid,
    demo_aid_rosters,
    demo_dropout,
    demo_inspections,
    doc_numbers,
    records,
    templates,
    workspace,
)
from wushan_desk.services.accounts import reopen as open_workspace
from wushan_desk.services.demo_people import (
    People,
    School,
    Students,
    Township,
    Weighted,
    apportion,
    places_data,
)
from wushan_desk.store import changes
from wushan_desk.store.errors import WorkspaceError, WorkspaceExists
from wushan_desk.store.workspace import Workspace

DEMO_NAME = "演示工作区（巫山县）"
#: The demo is set in this school year (see demo_people.FIRST_GRADE_BORN).
DEMO_SCHOOL_YEAR = "2026-2027"
STUDENTS_AT_SCALE_1 = 60_000
MAX_SCALE = 20.0
BATCH = 2_000
#: Schools kept besides the 26 中心小学 at small scales, so every demo has junior
#: schools, kindergartens and teaching points to look at.
MIN_OTHER_SCHOOLS = 6


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` made: records per kind (reference rows included), time, file."""

    path: Path
    seconds: float
    counts: Mapping[str, int] = field(default_factory=dict)
    #: the demo's accounts: login, role label, centre name ("" for the county), password
    accounts: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def build_demo(
    path: str | Path,
    *,
    scale: float = 1.0,
    seed: int = 2026,
    progress: ProgressFn = no_progress,
    cancelled: CancelledFn = never_cancelled,
    admin: accounts.Credentials | None = None,
) -> DemoSummary:
    """Build the demo county into the workspace at `path` (created if absent).

    `scale` 1 is a county like Wushan (~250 schools, ~60,000 students); 0.01 gives the
    26 township 中心小学 plus a few others and ~600 students. An existing workspace is
    filled only if it holds nothing beyond reference data (a new hub, say); otherwise
    WorkspaceError. On cancellation (`Cancelled`) or failure nothing is kept, and a file
    this call created is deleted.
    """
    if not (0 < scale <= MAX_SCALE):
        raise ValidationError(
            f"演示数据规模应大于 0、不超过 {MAX_SCALE:g}（1 = 一个巫山县的规模），现在是 {scale}",
            "scale",
        )
    started = time.perf_counter()
    path = Path(path)
    admin = admin or accounts.credentials_from_env() or DEMO_ADMIN
    try:
        ws, created = workspace.create(path, "demo", DEMO_NAME, admin=admin), True
    except WorkspaceExists:
        ws, created = open_workspace(path, create=True), False
    try:
        counts = _Builder(ws, random.Random(seed), progress, cancelled).build(scale)
        made = demo_accounts(ws) if created else []
    except BaseException as exc:
        ws.close()
        if created and not isinstance(exc, NotEmpty):
            workspace.remove_files(path)
        raise
    ws.close()
    listed = [(admin.login, accounts.ROLES["county_admin"], "", admin.password), *made]
    return DemoSummary(path, time.perf_counter() - started, counts, tuple(listed))


#: The demo's first administrator when none is given (synthetic data only).
DEMO_ADMIN = accounts.Credentials("admin", "wushan-demo")
#: The password of every other demo account (printed by `demo`, listed in the README).
DEMO_PASSWORD = "wushan-demo"


def demo_accounts(ws: Workspace) -> list[tuple[str, str, str, str]]:
    """One account per role and a supervisor for each centre (duxue-01, -02, …, by the
    centres' names), all with DEMO_PASSWORD: to try every role's view of the county."""
    made = []
    for login, role in (("yewu", "county_staff"), ("chakan", "read_only")):
        accounts.add_account(ws, accounts.Credentials(login, DEMO_PASSWORD), role,
                             display_name=accounts.ROLES[role])
        made.append((login, accounts.ROLES[role], "", DEMO_PASSWORD))
    centres = sorted(records.iter_records(ws, "centre"), key=lambda c: c["name"])
    for number, centre in enumerate(centres, 1):
        login = f"duxue-{number:02d}"
        accounts.add_account(ws, accounts.Credentials(login, DEMO_PASSWORD), "supervisor",
                             display_name=f"{centre['name']}督导员", centre_id=centre["id"])
        made.append((login, accounts.ROLES["supervisor"], centre["name"], DEMO_PASSWORD))
    return made


class NotEmpty(WorkspaceError):
    """The workspace already holds data: demo records must not mix with real ones."""

    code = "not-empty"


def _refuse_if_not_empty(ws: Workspace) -> None:
    for kind in ("school", "centre", "staff", "student"):
        if next(records.iter_records(ws, kind, deleted=True), None) is not None:
            raise NotEmpty(
                f"工作区 {ws.path.name} 里已有{entities.kind(kind).label}等数据，"
                "不能再生成演示数据（以免与真实数据混在一起）。请换一个新的文件名。"
            )




# ----------------------------------------------------------------------- the plan


_BASE_SIZE: dict[str, dict[str, float]] = {
    # role -> tier -> students before scaling to the county total; a township's weight
    # adds to central schools and junior schools (see _size).
    "central": {"seat": 1800, "town": 500, "township": 250},
    "central_kg": {"seat": 600, "town": 300, "township": 150},
    "village": {"seat": 350, "town": 160, "township": 110},
    "point": {"seat": 22, "town": 22, "township": 22},
    "kg": {"seat": 300, "town": 150, "township": 100},
}


def _size(role: str, type_: str, township: Township) -> float:
    w = township.weight
    if role == "junior":
        if type_ == "完全中学":
            return 1800
        if type_ == "九年一贯制":
            return 300 + 18 * w
        return {"seat": 1500, "town": 300 + 20 * w, "township": 200 + 12 * w}[township.tier]
    base = _BASE_SIZE[role][township.tier]
    return base + 12 * w if role == "central" and township.tier != "seat" else base


def _boarding(rng: random.Random, role: str, type_: str, township: Township) -> bool:
    if township.tier == "seat":
        return role == "junior" and rng.random() < 0.3
    if role == "junior":
        return rng.random() < 0.85
    return rng.random() < {"central": 0.4, "village": 0.1}.get(role, 0.0)


class _Builder:
    """One build: the random streams, the in-memory lookup and the write batches."""

    def __init__(
        self, ws: Workspace, rng: random.Random, progress: ProgressFn, cancelled: CancelledFn
    ) -> None:
        self.ws = ws
        # Separate streams per part, all derived from the seed, so that e.g. adding a
        # field to students does not reshuffle the school map.
        self.rng_places = random.Random(rng.getrandbits(64))
        self.rng_ids = random.Random(rng.getrandbits(64))
        self.rng_staff = random.Random(rng.getrandbits(64))
        self.rng_students = random.Random(rng.getrandbits(64))
        self.rng_visits = random.Random(rng.getrandbits(64))
        self.staff_people = People(self.rng_staff)
        self.progress = progress
        self.cancelled = cancelled
        self.known: dict[tuple[str, str], Mapping[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self.done = 0
        self.total = 0
        self._phones: set[str] = set()
        self._codes: set[str] = set()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng_ids.getrandbits(128), version=4))

    def lookup(self, kind: str, record_id: str) -> Mapping[str, Any] | None:
        return self.known.get((kind, record_id))

    # ----------------------------------------------------------------- build

    def build(self, scale: float) -> dict[str, int]:
        ws = self.ws
        with ws.transaction():  # checked under the write lock: two runs cannot both fill it
            _refuse_if_not_empty(ws)
            workspace.ensure_reference(ws)
            ref = workspace.reference_data()
            self.known[("county", workspace.county_id())] = ref["county"]
            for tid in workspace.township_ids().values():
                self.known[("township", tid)] = {"id": tid}
            self.counts = {"county": 1, "township": len(ref["townships"])}

            townships = self._townships()
            centres, centre_townships = self._centres(townships)
            schools = self._schools(townships, scale)
            self._allocate_students(schools, round(STUDENTS_AT_SCALE_1 * scale))
            staff = self._staff(centres, schools)
            device = self._device(centres[0]["id"])
            self.total = (
                len(centres)
                + len(centre_townships)
                + len(schools)
                + len(device)
                + len(staff)
                + sum(s.students for s in schools)
            )
            self.progress(0, self.total, "正在准备演示数据…")

            self.write("centre", centres, "正在生成督导中心…")
            self.write("centre_township", centre_townships, "正在生成督导责任区…")
            self.write("school", (self._school_record(s) for s in schools), "正在生成学校…")
            self.write("device", device, "正在登记本机…")
            self.write("staff", staff, "正在生成人员…")
            students = Students(self.rng_students, townships, self.new_id)
            self.write("student", students.of(schools), "正在生成学生…")
            history = self._inspection_history(schools, staff, centre_townships)
            self.total += sum(len(v) for v in history.values())
            for kind, recs in history.items():
                self.write(kind, recs, "正在生成督导记录…", validate=False)
            cases = self._dropout_ledger(schools)
            self.total += sum(len(v) for v in cases.values())
            for kind, recs in cases.items():  # events checked by the tests, as visits are
                self.write(kind, recs, "正在生成控辍保学台账…", validate=False)
            # the county's aid standards of the demo's school year, and the holiday calendar
            for year in demo_aid.YEARS:
                aid.load_defaults(ws, year)
            aid.seed_calendar(ws)
            recognised = demo_aid.recognitions(
                random.Random(self.rng_visits.getrandbits(64)), self.new_id,
                list(records.iter_records(ws, "student")), aid.exceptions(ws))
            self.total += sum(len(v) for v in recognised.values())
            for kind in demo_aid.KINDS:  # steps checked by the tests, as visits are
                self.write(kind, recognised[kind], "正在生成资助认定…", validate=False)
            paid = self._aid_rosters(schools, recognised["aid_recognition"])
            self.total += sum(len(v) for v in paid.values())
            for kind in demo_aid_rosters.KINDS:
                self.write(kind, paid[kind], "正在生成资助发放花名册…", validate=False)
        return self.counts

    def _aid_rosters(self, schools: list[School], recognitions: list[dict[str, Any]]
                     ) -> dict[str, list[dict[str, Any]]]:
        """Three school years of payment rosters (demo_aid_rosters); children out of
        school (an open dropout case, a recorded leaving) are left off, but for two."""
        from wushan_desk.domain import aid_check
        from wushan_desk.domain.dropout import OPEN_STATUSES
        from wushan_desk.store import aid_check_queries

        absent = set(aid_check_queries.open_cases(self.ws, OPEN_STATUSES)) | {
            student for student, moves in aid_check_queries.enrolment_changes(self.ws).items()
            if any(m["change"] in aid_check.LEFT_SCHOOL for m in moves)}
        return demo_aid_rosters.Rosters(
            random.Random(self.rng_visits.getrandbits(64)), self.new_id,
            list(records.iter_records(self.ws, "student")),
            {s.id for s in schools if s.boarding},
            {year: aid.standards(self.ws, year) for year in demo_aid.YEARS},
            aid.exceptions(self.ws), recognitions, absent).build()

    def _dropout_ledger(self, schools: list[School]) -> dict[str, list[dict]]:
        """About one case per 1,000 students, and a few candidates (demo_dropout)."""
        township_of = {s.id: s.township.id for s in schools}
        students = list(records.iter_records(self.ws, "student"))
        return demo_dropout.ledger(random.Random(self.rng_visits.getrandbits(64)),
                                   self.new_id, students, township_of)

    def _inspection_history(
        self, schools: list[School], staff: list[dict], centre_townships: list[dict]
    ) -> dict[str, list[dict]]:
        """Visits, answers, findings and follow-ups of two school years (demo_inspections)."""
        templates.ensure_builtin_templates(self.ws)
        ids = templates.builtin_template_ids()
        routine, term_start = (
            demo_inspections.Template(
                ids[stem], kind, templates.template_items(self.ws, ids[stem]), 30
            )
            for stem, kind in (("routine", "经常性督导"), ("term_start", "开学专项督导"))
        )
        centre_of = {ct["township_id"]: ct["centre_id"] for ct in centre_townships}
        inspectors: dict[str, list[str]] = {}
        for person in staff:
            if person["role"] == "责任督学":
                inspectors.setdefault(person["centre_id"], []).append(person["id"])
        # one stored picture for every answer that needs a photo (a finalized visit has one)
        history = demo_inspections.History(self.rng_visits, self.new_id, routine, term_start,
                                           photo=demo_inspections.store_photo(self.ws))
        out: dict[str, list[dict]] = {
            k: [] for k in ("attachment", "visit", "visit_answer", "finding", "visit_signature",
                            "finding_check")
        }
        for s in schools:
            school = {"id": s.id, "head": s.head}
            for kind, record in history.for_school(
                school, inspectors.get(centre_of.get(s.township.id) or "", [])
            ):
                out[kind].append(record)
        demo_inspections.number_documents(out["visit"], out["finding"],
                                          doc_numbers.issuer_code(self.ws))
        return out

    def write(
        self, kind: str, recs: Iterable[Mapping[str, Any]], message: str, *, validate: bool = True
    ) -> None:
        """Validate and insert in batches, reporting progress and honouring cancel.

        Inspection records skip `validate_record` here (their rules look records up in
        the database, which the in-memory lookup does not hold); tests validate a sample.
        """
        table = entities.kind(kind).table
        self.counts.setdefault(kind, 0)
        it = iter(recs)
        while True:
            if self.cancelled():
                raise Cancelled("已取消生成演示数据，工作区未作改动。")
            batch = []
            for rec in itertools.islice(it, BATCH):
                clean = entities.validate_record(kind, rec, self.lookup) if validate else dict(rec)
                clean["id"] = rec["id"]
                if kind in ("school", "centre"):
                    self.known[(kind, rec["id"])] = clean
                batch.append(clean)
            if not batch:
                return
            changes.insert_many(self.ws, table, batch)
            self.counts[kind] += len(batch)
            self.done += len(batch)
            self.progress(self.done, self.total, message)

    # ------------------------------------------------------------- townships

    def _townships(self) -> list[Township]:
        places = places_data()
        firsts, seconds = places["village_first"], places["village_second"]
        combos = [a + b for a in firsts for b in seconds if a != b]
        out: dict[str, Township] = {}
        for name, tid in workspace.township_ids().items():
            spec = places["townships"][name]
            shuffled = combos[:]
            self.rng_places.shuffle(shuffled)
            n_villages = 8 + int(spec["weight"]) // 2
            out[name] = Township(
                name,
                tid,
                spec["short"],
                spec["tier"],
                spec["weight"],
                shuffled[:n_villages],
                iter(shuffled),
            )
        for zone in places["zones"]:
            members = [out[n] for n in zone["townships"]]
            for t in members:
                t.zone = members
        return list(out.values())

    def _landline(self, rng: random.Random) -> str:
        """A county landline, 023-5768xxxx, distinct from those given out so far."""
        for _ in range(1000):
            phone = f"023-5768{rng.randrange(10_000):04d}"
            if phone not in self._phones:
                break
        self._phones.add(phone)
        return phone

    # --------------------------------------------------------------- centres

    def _centres(self, townships: list[Township]) -> tuple[list[dict], list[dict]]:
        by_name = {t.name: t for t in townships}
        rng = self.rng_places
        centres, links = [], []
        for zone in places_data()["zones"]:
            centre_id = self.new_id()
            seat = by_name[zone["seat"]]
            centres.append(
                {
                    "id": centre_id,
                    "name": zone["name"],
                    "county_id": workspace.county_id(),
                    "address": seat.address(rng),
                    "phone": self._landline(rng),
                }
            )
            for name in zone["townships"]:
                links.append(
                    {"id": self.new_id(), "centre_id": centre_id, "township_id": by_name[name].id}
                )
        return centres, links

    # --------------------------------------------------------------- schools

    def _schools(self, townships: list[Township], scale: float) -> list[School]:
        """The scale-1 school map, then cut down (or extended) to `scale`."""
        rng = self.rng_places
        base: list[School] = []
        for t in townships:
            base += self._township_schools(rng, t)
        n_target = round(len(base) * scale)
        if scale <= 1:
            chosen = self._select(rng, base, n_target)
        else:
            chosen = base + self._extra_schools(rng, townships, n_target - len(base))
        for s in chosen:
            s.id = self.new_id()
            s.head_sex = "男" if rng.random() < 0.6 else "女"
            s.head = self.staff_people.adult_name(s.head_sex)
        return chosen

    def _township_schools(self, rng: random.Random, t: Township) -> list[School]:
        spec = places_data()["townships"][t.name]

        def school(name: str, type_: str, role: str, village: str | None = None) -> School:
            return School(
                name, type_, t, role, _size(role, type_, t), _boarding(rng, role, type_, t), village
            )

        out = [
            school(f"巫山县{t.name}中心小学", "小学", "central"),
            school(f"巫山县{t.name}中心幼儿园", "幼儿园", "central_kg"),
        ]
        for type_ in spec["junior"]:
            name = {
                "初中": f"巫山县{t.short}初级中学",
                "九年一贯制": f"巫山县{t.name}九年一贯制学校",
                "完全中学": f"巫山县{t.short}中学",
            }[type_]
            out.append(school(name, type_, "junior"))
        for item in spec.get("schools", []):
            out.append(
                School(item["name"], item["type"], t, "county", item["size"], item["boarding"])
            )
        for _ in range(spec["village_primary"]):
            village = next(t.spare_villages)
            out.append(school(f"巫山县{t.name}{village}小学", "小学", "village", village))
        for _ in range(spec["teaching_points"]):
            village = next(t.spare_villages)
            out.append(school(f"巫山县{t.name}{village}村教学点", "教学点", "point", village))
        for brand in rng.sample(places_data()["kindergarten_brands"], spec["kindergartens"]):
            out.append(school(f"巫山县{t.name}{brand}幼儿园", "幼儿园", "kg"))
        for s in out:
            s.size *= rng.uniform(0.8, 1.2)
        return out

    def _select(self, rng: random.Random, base: list[School], n_target: int) -> list[School]:
        """Every 中心小学, then one school of each other type, then a random sample."""
        mandatory = [s for s in base if s.role == "central"]
        others = [s for s in base if s.role != "central"]
        n_others = min(len(others), max(n_target - len(mandatory), MIN_OTHER_SCHOOLS))
        picked: list[School] = []
        for type_ in ("初中", "九年一贯制", "幼儿园", "教学点", "高中", "完全中学", "中职"):
            pool = [s for s in others if s.type == type_]
            if pool and len(picked) < n_others:
                picked.append(rng.choice(pool))
        rest = [s for s in others if s not in picked]
        picked += rng.sample(rest, n_others - len(picked))
        keep = {id(s) for s in mandatory + picked}
        return [s for s in base if id(s) in keep]

    def _extra_schools(self, rng: random.Random, townships: list[Township], n: int) -> list[School]:
        """More village schools for scales above 1, in townships picked by population."""
        pick_township = Weighted([(t, t.weight) for t in townships])
        pick_type = Weighted({"小学": 50, "教学点": 25, "幼儿园": 25})
        out = []
        for _ in range(n):
            t = pick_township.pick(rng)
            type_ = pick_type.pick(rng)
            village = next(t.spare_villages)
            role, name = {
                "小学": ("village", f"巫山县{t.name}{village}小学"),
                "教学点": ("point", f"巫山县{t.name}{village}村教学点"),
                "幼儿园": ("kg", f"巫山县{t.name}{village}村幼儿园"),
            }[type_]
            size = _size(role, type_, t) * rng.uniform(0.8, 1.2)
            out.append(School(name, type_, t, role, size, _boarding(rng, role, type_, t), village))
        return out

    def _school_code(self, rng: random.Random) -> str:
        while True:
            code = f"3150{rng.randrange(1_000_000):06d}"
            if code not in self._codes:
                self._codes.add(code)
                return code

    def _school_record(self, s: School) -> dict[str, Any]:
        rng = self.rng_places
        return {
            "id": s.id,
            "name": s.name,
            "code": self._school_code(rng),
            "type": s.type,
            "township_id": s.township.id,
            "address": s.township.address(rng, s.village),
            "head": s.head,
            "phone": self._landline(rng),
            "boarding": s.boarding,
        }

    def _allocate_students(self, schools: list[School], total: int) -> None:
        """Share `total` students out by school size; every school gets a few."""
        minimum = 3 if total >= 3 * len(schools) else 1
        total = max(total, minimum * len(schools))
        counts = apportion(total, [s.size for s in schools])
        for i in range(len(counts)):
            while counts[i] < minimum:
                counts[counts.index(max(counts))] -= 1
                counts[i] += 1
        for s, n in zip(schools, counts, strict=True):
            s.students = n

    # ----------------------------------------------------------------- staff

    def _staff(self, centres: list[dict], schools: list[School]) -> list[dict]:
        rng = self.rng_staff
        people = self.staff_people
        cert_numbers = iter(rng.sample(range(1, 1000), 999))
        out: list[dict] = []

        def person(
            role: str,
            *,
            centre_id: str | None = None,
            school: School | None = None,
            certified: bool = False,
        ) -> None:
            sex = school.head_sex if school else ("男" if rng.random() < 0.55 else "女")
            cert = (
                f"渝督学〔{rng.randint(2019, 2025)}〕{next(cert_numbers):04d}"
                if certified
                else None
            )
            out.append(
                {
                    "id": self.new_id(),
                    "name": school.head if school else people.adult_name(sex),
                    "sex": sex,
                    "role": role,
                    "phone": people.mobile(),
                    "centre_id": centre_id,
                    "school_id": school.id if school else None,
                    "certificate_no": cert,
                }
            )

        for i in range(4):
            person("县督导室", certified=i < 2)
        for centre in centres:
            person("督导中心主任", centre_id=centre["id"], certified=True)
            for _ in range(rng.randint(3, 5)):
                person("责任督学", centre_id=centre["id"], certified=True)
        for s in schools:
            person("校长", school=s)
        return out

    def _device(self, centre_id: str) -> list[dict]:
        """This workspace's own device, unless it is registered already (a hub's)."""
        ws = self.ws
        if records.get(self.ws, "device", ws.device_id, deleted=True) is not None:
            return []
        role = ws.state("role", "demo") or "demo"
        role = role if role in codes.DEVICE_ROLES else "demo"
        centre = None if role == "hub" else centre_id
        if centre:
            ws.set_state("centre_id", centre)
        return [
            {
                "id": ws.device_id,
                "name": "本机（演示）" if role == "demo" else "本机",
                "role": role,
                "centre_id": centre,
                "revoked": False,
            }
        ]


__all__ = ["DEMO_NAME", "MAX_SCALE", "DemoSummary", "build_demo"]
