"""The bench's output: machine facts, the table on stdout, the JSON file and the generated
part of docs/benchmarks.md (between its two marker comments)."""

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

DOC_BEGIN = "<!-- bench:begin (written by make bench) -->"
DOC_END = "<!-- bench:end -->"


def machine() -> dict:
    """What the figures came from: cores, memory, CPU model, PostgreSQL, load, and how fast
    the CPU ran at the start (the speed of a shared virtual machine drifts)."""
    import django
    from django.db import connection

    info = {
        "cores": os.cpu_count(),
        "ram_gib": None,
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": None,
        "load_average": None,
        "python_loop_seconds": python_loop_seconds(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(meminfo.split("MemTotal:")[1].split()[0])
        info["ram_gib"] = round(kib / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except (OSError, IndexError, ValueError):
        pass
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(value, 2) for value in os.getloadavg()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    return info


def python_loop_seconds() -> float:
    """Seconds for a ten-million-step Python loop, best of three: the same code on the same
    machine, so a slower figure means a slower CPU, not slower code."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for step in range(10_000_000):
            total += step
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def table(results: dict) -> str:
    rows = [("scenario", "median ms", "p95 ms", "SQL ms", "queries", "target", "result")]
    for name, row in results.get("scenarios", {}).items():
        target = f"< {row['target_ms']:g} ms" if row.get("target_ms") else "-"
        if row.get("status") == "skipped":
            rows.append((name, "-", "-", "-", "-", target, f"skipped: {row['reason']}"))
            continue
        rows.append(
            (
                name,
                f"{row['median_ms']:.1f}",
                f"{row['p95_ms']:.1f}",
                f"{row.get('sql_ms', 0):.1f}",
                str(row["queries"]),
                target,
                row["status"],
            )
        )
    load = results.get("load")
    if load and load.get("status") != "skipped":
        rows.append(
            (
                "portal_create",
                f"{load['median_ms']:.1f}",
                f"{load['p95_ms']:.1f}",
                "-",
                "-",
                f">= {load['target_per_second']:g}/s",
                f"{load.get('pipeline_per_second', 0):.1f}/s {load['status']} "
                f"(requests {load['per_second']:.1f}/s, "
                f"tasks {load.get('tasks_per_second', 0):.1f}/s)",
            )
        )
    elif load:
        rows.append(
            ("portal_create", "-", "-", "-", "-", "-", f"skipped: {load.get('reason', '')}")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        )
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")


def doc_section(results: dict) -> str:
    m = results["machine"]
    data = results.get("data", {})
    load = m.get("load_average")
    lines = [
        DOC_BEGIN,
        f"Measured {results['date']} on {m['cores']} cores, {m['ram_gib']} GiB RAM "
        f"({m['cpu']}), PostgreSQL {m['postgresql']}, Python {m['python']}, "
        f"Django {m['django']}.",
        f"Load average when the run started: {', '.join(map(str, load)) if load else 'unknown'}"
        " (1, 5, 15 min)"
        + (
            f"; a ten-million-step Python loop took {m['python_loop_seconds']:g} s."
            if m.get("python_loop_seconds")
            else "."
        ),
        "",
        f"Data: {data.get('tickets', 0):,} tickets ({data.get('open', 0):,} open), "
        f"{data.get('messages', 0):,} messages, {data.get('events', 0):,} events, "
        f"{data.get('clocks', 0):,} SLA clocks, {data.get('customers', 0):,} customers, "
        f"{data.get('agents', 0):,} agents, {data.get('articles', 0):,} articles. "
        f"{results['iterations']} timed requests per scenario after {results['warmup']} "
        "warm-up requests.",
        "",
        table(results),
        *_cpu_line(results.get("load") or {}),
        DOC_END,
    ]
    return "\n".join(lines)


def _cpu_line(load: dict) -> list[str]:
    """The load test's busy CPU per ticket (all processes), when it was measured."""
    request, task = load.get("request_cpu_ms_per_ticket"), load.get("task_cpu_ms_per_ticket")
    if request is None or task is None:
        return []
    cores, target = load.get("task_workers", 2), load.get("target_per_second", 100)
    return [
        "",
        f"Portal creation, busy CPU per ticket over all processes: {request:g} ms in the "
        f"requests, {task:g} ms in the follow-up tasks ({request + task:g} ms; {target:g} "
        f"tickets a second on {cores} cores allows {1000 * cores / target:g} ms).",
    ]


def update_doc(results: dict, path: Path) -> None:
    """Replace the generated section of the doc, keeping the hand-written text around it."""
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{DOC_BEGIN}\n{DOC_END}\n"
    if DOC_BEGIN not in text or DOC_END not in text:
        text = text.rstrip() + f"\n\n{DOC_BEGIN}\n{DOC_END}\n"
    head, rest = text.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    path.write_text(head + doc_section(results) + tail)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
