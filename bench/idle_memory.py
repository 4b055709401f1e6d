"""Memory of an idle `keyloop serve`, before and after training jobs.

Starts a real `keyloop serve` (API, main worker, import worker, beat, under the supervisor) on
a temporary data dir, and reads each process's RSS and PSS from /proc (PSS splits pages
shared after a fork, so its total is what the machine really spends; RSS counts them once per
process and so over-counts a forked pool). Three measurements, each after 10 s of quiet:
fresh; after a finished 60-step training job; after a cancelled one. Prints a table and
appends one JSON line per measurement to bench/results/idle_memory.jsonl.

    .venv/bin/python bench/idle_memory.py [--steps 60] [--settle 10]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.worker.stack import Stack, make_project, wait_until  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "idle_memory.jsonl"
MIB = 1024 * 1024


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    role: str
    rss_mib: float
    pss_mib: float


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields[0] is the state, fields[1] the parent pid
            found.append(int(stat.parent.name))
    return sorted(found)


def descendants(pid: int) -> list[int]:
    out = [pid]
    for child in children_of(pid):
        out.extend(descendants(child))
    return out


def role_of(pid: int, parent_role: str | None) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    text = " ".join(a.decode(errors="replace") for a in argv)
    if parent_role in ("worker", "importer"):
        return f"{parent_role} pool child"
    for needle, role in (
        ("uvicorn", "api"),
        ("worker.import_app", "importer"),
        (" beat", "beat"),
        ("worker.beat_app", "beat"),
        ("worker.celery_app", "worker"),
        ("backend.cli serve", "supervisor"),
    ):
        if needle in text:
            return role
    return text[:60]


def _kib(path: str, key: str) -> float:
    for line in Path(path).read_text().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    return 0.0


def measure(serve_pid: int) -> list[ProcessMemory]:
    roles: dict[int, str] = {}
    rows: list[ProcessMemory] = []

    def walk(pid: int, parent_role: str | None) -> None:
        try:
            role = role_of(pid, parent_role)
            rss = _kib(f"/proc/{pid}/status", "VmRSS") / 1024
            pss = _kib(f"/proc/{pid}/smaps_rollup", "Pss") / 1024
        except OSError:
            return  # exited meanwhile
        roles[pid] = role
        rows.append(ProcessMemory(pid, role, round(rss, 1), round(pss, 1)))
        for child in children_of(pid):
            walk(child, role)

    walk(serve_pid, None)
    return rows


def report(label: str, rows: list[ProcessMemory], extra: dict[str, object]) -> dict[str, object]:
    total_rss = round(sum(r.rss_mib for r in rows), 1)
    total_pss = round(sum(r.pss_mib for r in rows), 1)
    print(f"\n{label}")
    print(f"  {'process':<22}{'pid':>8}{'RSS MiB':>10}{'PSS MiB':>10}")
    for r in rows:
        print(f"  {r.role:<22}{r.pid:>8}{r.rss_mib:>10.1f}{r.pss_mib:>10.1f}")
    print(f"  {'total':<22}{'':>8}{total_rss:>10.1f}{total_pss:>10.1f}")
    return {
        "bench": "idle_memory",
        "when": label,
        "total_rss_mib": total_rss,
        "total_pss_mib": total_pss,
        "processes": {r.role: {"rss_mib": r.rss_mib, "pss_mib": r.pss_mib} for r in rows},
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--settle", type=float, default=10.0)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    meta: dict[str, object] = {
        "commit": commit,
        "machine": f"{platform.machine()} {platform.node()}",
        "steps": args.steps,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    lines: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.create(Path(tmp))
        try:
            stack.start_serve()
            serve_pid = stack.processes["serve"].pid
            time.sleep(args.settle)
            lines.append(report("idle, fresh", measure(serve_pid), meta))

            pid, _ = make_project(stack)
            job = {"backbone": "efficientnet_lite0", "input_size": 64, "batch_size": 4}
            r = stack.api.post(
                f"/projects/{pid}/training-jobs", json={**job, "max_steps": args.steps}
            )
            assert r.status_code == 202, r.text
            done = stack.wait_for_job(r.json()["id"], {"succeeded", "failed"}, 600)
            assert done["state"] == "succeeded", done["error"]
            time.sleep(args.settle)
            lines.append(report(f"idle, after a {args.steps}-step job", measure(serve_pid), meta))

            r = stack.api.post(f"/projects/{pid}/training-jobs", json={**job, "max_steps": 100_000})
            job_id = r.json()["id"]
            wait_until(
                lambda: stack.api.get(f"/jobs/{job_id}").json()["progress"].get("step", 0) >= 20,
                300,
                "the long job did not start",
            )
            stack.api.post(f"/jobs/{job_id}/cancel")
            stack.wait_for_job(job_id, {"cancelled"}, 120)
            time.sleep(args.settle)
            lines.append(report("idle, after a cancelled job", measure(serve_pid), meta))
        finally:
            stack.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as out:
        for line in lines:
            out.write(json.dumps(line) + "\n")
    print(f"\nappended {len(lines)} lines to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
