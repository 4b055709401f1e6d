"""Load benchmark of the API: N concurrent clients on a real uvicorn, mixed reads and saves.

For each code tree (`--code label=path`, default: this checkout) and each level of concurrent
clients, it starts the API exactly as `keyloop serve` does (the uvicorn command line of that
tree's `backend.serve`) on 127.0.0.1 with a fresh data dir and database (SQLite, or a new
database on PostgreSQL: `--postgres` starts a throwaway server with the test helper, or
`--database-url` names one), seeds a project with images through the API, logs in, and runs
every client in a closed loop (no think time) for `--duration` seconds:

    25% GET /images/{id}              15% GET /images/{id}/annotation
    20% GET /images/{id}/thumbnail    20% PUT /images/{id}/annotation (first saves included;
    10% GET /images/{id}/view              each client saves its own images, so no 409)
    10% GET /projects/{id}/queue

`--only KIND [KIND ...]` runs each named kind alone instead (a level per kind, rows with
`"workload": KIND`): what one kind of request costs the server.

A monitor in its own process asks /health every 0.25 s. Per level it prints p50/p95/p99/max
latency, throughput, the statuses and the errors (5xx, 503 included, and transport errors),
and the CPU milliseconds per request of the server (its process tree) and of the clients;
CPU per request barely moves with other load on the machine, latency does. It appends one JSON
row to `--out`. Clients run in this process, on the same CPUs as the
server, so on a small machine the figures include the client's own cost; compare trees within
one invocation.

    .venv/bin/python bench/load.py --code before=/path/to/old/checkout --code after=.
    .venv/bin/python bench/load.py --code one=. --code two=.@KEYLOOP_API_WORKERS=2
    .venv/bin/python bench/load.py --postgres --levels 10 50 200 --duration 20
    .venv/bin/python bench/load.py --postgres --levels 50 --duration 10 --only thumbnail save
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from keepalive import KeepAliveClient
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
SESSIONS = 10  # browser sessions shared by the clients (a login is a deliberate ~0.1 s hash)
WORKLOAD = [
    ("image", 25),
    ("thumbnail", 20),
    ("view", 10),
    ("annotation", 15),
    ("save", 20),
    ("queue", 10),
]
KEYPOINTS = ["nose", "left_eye", "right_eye", "tail"]


@dataclass
class Sample:
    kind: str
    status: int  # 0: transport error or timeout
    seconds: float
    client: int
    at: float  # when it was sent, seconds after the level started


@dataclass
class LevelResult:
    samples: list[Sample] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    first_saves: int = 0
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    process_of_client: dict[int, int] = field(default_factory=dict)  # client -> server pid


def process_table() -> tuple[dict[int, int], dict[int, float], dict[int, str]]:
    """Every process's parent, CPU seconds so far (user + system) and command name (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, _, rest = (entry / "stat").read_text().partition(" (")[2].rpartition(")")
            fields = rest.split()
        except OSError:
            continue  # exited meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
        names[pid] = name
    return parents, times, names


def cpu_seconds(root: int) -> tuple[float, float]:
    """CPU time so far (user + system) of process `root` and its descendants, and of every
    PostgreSQL server process on the machine (0 with SQLite, which runs inside the API; the
    bench's throwaway server is the only one on a bench machine), from one read of /proc."""
    parents, times, names = process_table()
    tree = descendants(parents, root)
    database = sum(t for pid, t in times.items() if names[pid] == "postgres")
    return sum(times.get(pid, 0.0) for pid in tree), database


def descendants(parents: dict[int, int], root: int) -> set[int]:
    """`root` and every process below it."""
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    return tree


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jpeg(i: int, rng: random.Random) -> bytes:
    """A 640x480 photo-like JPEG (smooth noise, so decoding and thumbnails cost something)."""
    small = Image.frombytes("RGB", (80, 60), rng.randbytes(80 * 60 * 3))
    buf = io.BytesIO()
    small.resize((640, 480), Image.Resampling.BICUBIC).save(buf, "JPEG", quality=85)
    return buf.getvalue()


@contextmanager
def api_server(code: Path, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """The code tree's API, started as `keyloop serve` starts it; yields its /api/v1 URL and
    the server's process id."""
    py = sys.executable
    for argv in (["db", "upgrade"], ["users", "ensure-admin"]):
        subprocess.run([py, "-m", "backend.cli", *argv], env=env, cwd=code, check=True)
    port = free_port()
    argv_json = subprocess.run(
        [
            py,
            "-c",
            "import json; from backend.config import get_settings as s; "
            "from backend.serve import child_commands as c; "
            f"print(json.dumps(c(s(), '127.0.0.1', {port}, False)[0].argv))",
        ],
        env=env,
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with log.open("w") as out:
        server = subprocess.Popen(
            json.loads(argv_json), env=env, cwd=code, stdout=out, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the API did not start; see {log}")
                time.sleep(0.2)
            yield base, server.pid
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def seed(base: str, n_images: int) -> tuple[int, list[int], list[tuple[dict[str, str], str]]]:
    """A project with `n_images` images; returns (project id, image ids, SESSIONS logins)."""
    logins = []
    for _ in range(SESSIONS):
        with httpx.Client(base_url=base, timeout=60) as c:
            r = c.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
            r.raise_for_status()
            logins.append((dict(c.cookies), r.json()["csrf_token"]))
    cookies, csrf = logins[0]
    with httpx.Client(
        base_url=base, timeout=300, cookies=cookies, headers={"X-CSRF-Token": csrf}
    ) as c:
        schema = {"keypoints": [{"name": n} for n in KEYPOINTS]}
        r = c.post("/projects", json={"name": "load", "keypoint_schema": schema})
        r.raise_for_status()
        project_id = int(r.json()["id"])
        rng = random.Random(7)
        ids: list[int] = []
        for start in range(0, n_images, 50):
            files = [
                ("files", (f"frame_{i:05d}.jpg", jpeg(i, rng), "image/jpeg"))
                for i in range(start, min(n_images, start + 50))
            ]
            r = c.post(f"/projects/{project_id}/images", files=files)
            r.raise_for_status()
            ids += [int(im["id"]) for im in r.json()["created"]]
    return project_id, ids, logins


# What a failed exchange raises, with either client.
TRANSPORT_ERRORS = (httpx.HTTPError, OSError, TimeoutError)


async def client_loop(
    workload: list[tuple[str, int]],
    c: httpx.AsyncClient | KeepAliveClient,
    index: int,
    clients: int,
    project_id: int,
    image_ids: list[int],
    started: float,
    deadline: float,
    result: LevelResult,
) -> None:
    rng = random.Random(index)
    kinds = [k for k, _ in workload]
    weights = [w for _, w in workload]
    own = image_ids[index::clients]  # the images this client saves: no two clients race
    versions = dict.fromkeys(own, 0)
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        image_id = rng.choice(image_ids)
        sent = time.monotonic()
        try:
            if kind == "image":
                r = await c.get(f"/images/{image_id}")
            elif kind in ("thumbnail", "view"):
                r = await c.get(f"/images/{image_id}/{kind}")
            elif kind == "annotation":
                r = await c.get(f"/images/{image_id}/annotation")
            elif kind == "queue":
                r = await c.get(f"/projects/{project_id}/queue", params={"limit": 10})
            else:
                image_id = rng.choice(own)
                version = versions[image_id]
                r = await c.put(
                    f"/images/{image_id}/annotation",
                    json={"version": version, "done": False, "keypoints": points(rng)},
                )
                if r.status_code == 200:
                    versions[image_id] = int(r.json()["version"])
                    result.first_saves += version == 0
            status = r.status_code
        except TRANSPORT_ERRORS:
            status = 0
        result.samples.append(Sample(kind, status, time.monotonic() - sent, index, sent - started))


def points(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"name": n, "x": rng.uniform(0, 639), "y": rng.uniform(0, 479), "visibility": "visible"}
        for n in KEYPOINTS
    ]


HEALTH_PROBE = """
import sys, time, httpx
base, until = sys.argv[1], float(sys.argv[2])
with httpx.Client(base_url=base, timeout=60) as c:
    while time.time() < until:
        started = time.perf_counter()
        try:
            c.get("/health")
        except httpx.HTTPError:
            pass
        print(time.perf_counter() - started, flush=True)
        time.sleep(0.25)
"""


def health_monitor(base: str, duration: float) -> subprocess.Popen[str]:
    """/health timed from its own process: the clients' event loop cannot delay it."""
    return subprocess.Popen(
        [sys.executable, "-c", HEALTH_PROBE, base, str(time.time() + duration)],
        stdout=subprocess.PIPE,
        text=True,
    )


async def run_level(
    workload: list[tuple[str, int]],
    base: str,
    clients: int,
    duration: float,
    project_id: int,
    image_ids: list[int],
    logins: list[tuple[dict[str, str], str]],
    server_pid: int,
    client_kind: str,
) -> LevelResult:
    result = LevelResult()
    # Every client exists before the clock starts: making 200 httpx clients takes seconds
    # on a busy machine, and a client made after the deadline would send nothing.
    sessions = [make_client(client_kind, base, *logins[i % len(logins)]) for i in range(clients)]
    monitor = health_monitor(base, duration)
    (server_cpu, database_cpu), client_cpu = cpu_seconds(server_pid), time.process_time()
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(
        *(
            client_loop(workload, c, i, clients, project_id, image_ids, started, deadline, result)
            for i, c in enumerate(sessions)
        )
    )
    result.wall_s = time.monotonic() - started
    server_cpu_now, database_cpu_now = cpu_seconds(server_pid)
    result.server_cpu_s = server_cpu_now - server_cpu
    result.client_cpu_s = time.process_time() - client_cpu
    result.database_cpu_s = database_cpu_now - database_cpu
    result.process_of_client = client_processes(sessions, server_pid, urlsplit(base).port or 80)
    for c in sessions:
        await c.aclose()
    out, _ = monitor.communicate(timeout=120)
    result.health = [float(line) for line in out.split()]
    return result


def client_processes(
    sessions: list[httpx.AsyncClient | KeepAliveClient], server_pid: int, port: int
) -> dict[int, int]:
    """Which API process holds each client's kept-alive connection (client index -> pid).

    uvicorn's worker processes accept from one shared socket, so a connection stays with the
    process that won its accept; a process that holds more clients queues them longer. Read
    from /proc: the server ends of 127.0.0.1 connections on `port` (/proc/net/tcp, by the
    client's port) and the socket inodes each of the server's processes holds open."""
    inode_by_client_port: dict[int, str] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port:
            inode_by_client_port[int(remote.split(":")[1], 16)] = inode
    parents, _, _ = process_table()
    pid_by_inode: dict[str, int] = {}
    for pid in descendants(parents, server_pid):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        pid_by_inode[target[8:-1]] = pid
    owners = {}
    for index, session in enumerate(sessions):
        local_port = session.local_port if isinstance(session, KeepAliveClient) else None
        socket_inode = inode_by_client_port.get(local_port or 0)
        if socket_inode is not None and socket_inode in pid_by_inode:
            owners[index] = pid_by_inode[socket_inode]
    return owners


def make_client(
    kind: str, base: str, cookies: dict[str, str], csrf: str
) -> httpx.AsyncClient | KeepAliveClient:
    if kind == "httpx":
        return httpx.AsyncClient(
            base_url=base,
            cookies=cookies,
            headers={"X-CSRF-Token": csrf},
            timeout=60,
            limits=httpx.Limits(max_connections=1),
        )
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return KeepAliveClient(base, {"Cookie": cookie, "X-CSRF-Token": csrf})


def summarise(
    label: str, database: str, clients: int, result: LevelResult, wall_s: float, client_kind: str
) -> dict[str, Any]:
    latencies = [s.seconds for s in result.samples]
    statuses = Counter(s.status for s in result.samples)
    errors = sum(n for status, n in statuses.items() if status == 0 or status >= 500)
    return {
        "bench": "load",
        "code": label,
        "database": database,
        "clients": clients,
        "wall_s": round(wall_s, 1),
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / wall_s, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "first_saves": result.first_saves,
        "p99_ms_by_kind": {
            kind: round(
                percentile([s.seconds for s in result.samples if s.kind == kind], 0.99) * 1000, 1
            )
            for kind in sorted({s.kind for s in result.samples})
        },
        "health_max_ms": round(max(result.health, default=float("nan")) * 1000, 1),
        "server_cpu_ms_per_request": round(1000 * result.server_cpu_s / max(1, len(latencies)), 2),
        "client_cpu_ms_per_request": round(1000 * result.client_cpu_s / max(1, len(latencies)), 2),
        "database_cpu_ms_per_request": round(
            1000 * result.database_cpu_s / max(1, len(latencies)), 2
        ),
        "by_process": by_process(result),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "client": client_kind,
    }


def by_process(result: LevelResult) -> list[dict[str, float]]:
    """Clients, throughput and latency of each API process's connections, most clients first
    (empty when connections could not be traced to processes: httpx clients)."""
    rows = []
    for pid in set(result.process_of_client.values()):
        clients = {c for c, owner in result.process_of_client.items() if owner == pid}
        latencies = [s.seconds for s in result.samples if s.client in clients]
        rows.append(
            {
                "clients": len(clients),
                "throughput_rps": round(len(latencies) / max(result.wall_s, 1e-9), 1),
                "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
                "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            }
        )
    return sorted(rows, key=lambda row: -row["clients"])


def run_tree(
    label: str,
    code: Path,
    extra_env: dict[str, str],
    args: argparse.Namespace,
    database_base: str | None,
) -> list[dict[str, Any]]:
    rows = []
    for clients in args.levels:
        data = Path(tempfile.mkdtemp(prefix="keyloop-load-"))
        env = {
            **os.environ,
            "PYTHONPATH": str(code),
            "KEYLOOP_DATA_DIR": str(data),
            "KEYLOOP_ENV": "dev",
            "KEYLOOP_ADMIN_EMAIL": EMAIL,
            "KEYLOOP_ADMIN_PASSWORD": PASSWORD,
        }
        for name in ("KEYLOOP_DATABASE_URL", "KEYLOOP_BROKER_URL", "KEYLOOP_RESULT_BACKEND"):
            env.pop(name, None)
        database = "sqlite"
        if database_base is not None:
            env["KEYLOOP_DATABASE_URL"] = fresh_database(database_base)
            database = "postgresql"
        try:
            with api_server(code, {**env, **extra_env}, data / "api.log") as (base, pid):
                project_id, image_ids, logins = seed(base, max(60, 2 * clients + 20))
                for name, workload in workloads(args.only):
                    result = asyncio.run(
                        run_level(
                            workload,
                            base,
                            clients,
                            args.duration,
                            project_id,
                            image_ids,
                            logins,
                            pid,
                            args.client,
                        )
                    )
                    row = summarise(label, database, clients, result, result.wall_s, args.client)
                    row["workload"] = name
                    if args.note:
                        row["note"] = args.note
                    rows.append(row)
                    if args.samples:
                        write_samples(args.samples, row, result)
                    print(
                        f"{label:>8} {database:>10} {clients:>4} clients"
                        f"{'' if name == 'mixed' else ', ' + name}: "
                        f"p50 {row['p50_ms']:>7} ms  p95 {row['p95_ms']:>7} ms  "
                        f"p99 {row['p99_ms']:>7} ms  {row['throughput_rps']:>6} req/s  "
                        f"errors {row['errors']:>5}  /health max {row['health_max_ms']} ms  "
                        f"cpu/req server {row['server_cpu_ms_per_request']} ms "
                        f"client {row['client_cpu_ms_per_request']} ms "
                        f"database {row['database_cpu_ms_per_request']} ms  "
                        f"statuses {row['statuses']}",
                        flush=True,
                    )
        finally:
            shutil.rmtree(data, ignore_errors=True)
    return rows


def write_samples(path: Path, row: dict[str, Any], result: LevelResult) -> None:
    """Every request of a level as one JSON line, for analyses the summary row can't give
    (latency over time, per connection)."""
    pids = sorted(set(result.process_of_client.values()))
    with path.open("a") as out:
        for s in result.samples:
            owner = result.process_of_client.get(s.client)
            sample = {
                "code": row["code"],
                "database": row["database"],
                "clients": row["clients"],
                "workload": row["workload"],
                "client": s.client,
                "process": pids.index(owner) if owner is not None else None,
                "kind": s.kind,
                "status": s.status,
                "at_s": round(s.at, 4),
                "ms": round(s.seconds * 1000, 2),
            }
            out.write(json.dumps(sample) + "\n")


def workloads(only: list[str] | None) -> list[tuple[str, list[tuple[str, int]]]]:
    """The mixed workload, or each named kind alone."""
    if not only:
        return [("mixed", WORKLOAD)]
    return [(kind, [(kind, 1)]) for kind in only]


def fresh_database(base_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"keyloop_load_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per level")
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="LABEL=PATH[@K=V,...]",
        help="a code tree to run (repeat for before/after), with environment settings for its "
        "server after @; default: this checkout",
    )
    db = parser.add_mutually_exclusive_group()
    db.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL")
    db.add_argument("--database-url", help="a PostgreSQL URL; each run gets a new database")
    parser.add_argument(
        "--client",
        choices=["keepalive", "httpx"],
        default="keepalive",
        help="the clients' HTTP library: bench/keepalive.py (lean) or httpx (earlier rows)",
    )
    parser.add_argument("--note", default=None, help="a note stored in each row")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[kind for kind, _ in WORKLOAD],
        help="run each named request kind alone (one row each) instead of the mixed workload",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/load.jsonl")
    parser.add_argument(
        "--samples", type=Path, help="also append every request (kind, latency, when) to this file"
    )
    args = parser.parse_args()
    trees = [parse_tree(c) for c in args.code] or [("this", ROOT, {})]
    with database_base(args) as base_url:
        rows = []
        for label, path, extra_env in trees:
            tree_rows = run_tree(label, path, extra_env, args, base_url)
            rows += [{**row, "env": extra_env} if extra_env else row for row in tree_rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as out:
        for row in rows:
            out.write(json.dumps({**row, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n")
    print(f"{len(rows)} rows appended to {args.out}")


def parse_tree(spec: str) -> tuple[str, Path, dict[str, str]]:
    """`LABEL=PATH[@K=V,...]` -> (label, path, environment for its server)."""
    label, _, rest = spec.partition("=")
    path, _, settings = rest.partition("@")
    extra_env = dict(item.split("=", 1) for item in settings.split(",") if item)
    return label, Path(path).resolve(), extra_env


@contextmanager
def database_base(args: argparse.Namespace) -> Iterator[str | None]:
    if args.database_url:
        yield args.database_url
    elif args.postgres:
        from tests.services import postgres_server

        with postgres_server() as url:
            yield url
    else:
        yield None


if __name__ == "__main__":
    main()
