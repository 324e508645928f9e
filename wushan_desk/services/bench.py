"""`wushan-desk bench`: the app's figures, each beside a baseline measured in the same run.

Benchmarks, not tests: they report numbers for a person (or a CI log) to compare across
versions and machines; nothing here asserts a time.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wushan_desk.services import browse, demo
from wushan_desk.services.progress import ProgressFn, no_progress
from wushan_desk.store import baseline, changes
from wushan_desk.store.workspace import open_workspace


def figure(value: float, unit: str, base: float | None = None, **extra: Any) -> dict[str, Any]:
    """One reported figure; `ratio` is value / baseline when a baseline exists."""
    out: dict[str, Any] = {"value": round(value, 4), "unit": unit, **extra}
    if base:
        out |= {"baseline": round(base, 4), "ratio": round(value / base, 3)}
    return out


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process_start(args: list[str]) -> float:
    return median_time(lambda: subprocess.run(args, check=True, capture_output=True), 3)


def run(scale: float = 1.0, progress: ProgressFn = no_progress) -> dict[str, Any]:
    """Measure everything in a temporary folder; returns {name: figure}."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wushan-bench-") as tmp:
        folder = Path(tmp)
        progress(0, 5, "基准：原始 SQLite 写入")
        raw_rate = baseline.raw_insert_rate(folder / "raw.sqlite")
        figures["raw_sqlite_insert"] = figure(raw_rate, "rows/s", note="executemany, 10 columns")

        progress(1, 5, "基准：生成演示县")
        summary = demo.build_demo(folder / "demo.wsdb", scale=scale, seed=1)
        rows = sum(summary.counts.values())
        figures["demo_build"] = figure(summary.seconds, "s", scale=scale, rows=rows)
        figures["demo_insert_rate"] = figure(
            rows / summary.seconds,
            "rows/s",
            raw_rate,
            note="rows with change log, triggers, pinyin sort keys; baseline raw executemany",
        )

        progress(2, 5, "基准：启动进程")
        empty = process_start([sys.executable, "-c", "pass"])
        figures["process_start_version"] = figure(
            process_start([sys.executable, "-m", "wushan_desk", "--version"]),
            "s",
            empty,
            note="baseline: empty Python process",
        )

        progress(3, 5, "基准：打开工作区与搜索")
        figures |= _workspace_figures(folder / "demo.wsdb")
    progress(5, 5, "完成")
    return figures


def _workspace_figures(path: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    figures["open_workspace"] = figure(median_time(lambda: open_workspace(path).close()), "s")
    ws = open_workspace(path)
    try:
        students = browse.count_students(ws, browse.StudentQuery())
        first_page = median_time(lambda: browse.fetch_students(ws, browse.StudentQuery()))
        figures["students_first_page"] = figure(first_page * 1000, "ms", students=students)
        for label, text in (
            ("1_char", "王"),
            ("2_chars", "向明"),
            ("3_chars", "王小明"),
            ("id_prefix", "50023720"),
        ):
            q = browse.StudentQuery(text=text)
            figures[f"search_{label}"] = figure(
                median_time(
                    lambda q=q: (browse.count_students(ws, q), browse.fetch_students(ws, q))
                )
                * 1000,
                "ms",
                query=text,
                students=students,
            )
        last = changes.last_seq(ws)
        figures["changes_since_1000"] = figure(
            median_time(lambda: changes.changes_since(ws, max(0, last - 1000), 1000)) * 1000,
            "ms",
            log_entries=last,
        )
    finally:
        ws.close()
    return figures
