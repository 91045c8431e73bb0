"""Shared parts of the crash-consistency tests.

Each test drives the real binary ($MATERIA) in a fresh temporary directory, kills it with
SIGKILL at seeded points in time, checks what a user would then see, restarts it and
checks that it converges. The kill points are fractions of the measured duration of an
uninterrupted run of the same command: the fractions come from CRASH_SEED alone
(stratified, so that they cover the whole duration, then shuffled), the duration from
the reference run, unless CRASH_BASE_MS pins it (then the delays are exactly the same
from one run to the next).

Environment: MATERIA, MATERIA_SOURCE_DIR (required); CRASH_SEED (default 1), CRASH_POINTS
(default per test), CRASH_BASE_MS (pin the measured durations: "1500" or
"plan=1700,run=1500"), CRASH_KEEP=1 (keep the work directory and print it).
"""

import csv
import io
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

MATERIA = os.environ.get("MATERIA", "")
SOURCE_DIR = os.environ.get("MATERIA_SOURCE_DIR", "")
COMMAND_TIMEOUT_S = 120  # an uninterrupted command that takes longer than this is a failure
FAILURES_SHOWN = 25


class Harness:
    """One crash test: its seed, kill points, work directory and findings."""

    def __init__(self, name, default_points, minimum_points=1):
        if not MATERIA or not SOURCE_DIR:
            sys.exit("set MATERIA to the materia binary and MATERIA_SOURCE_DIR to the repository")
        self.name = name
        self.seed = int(os.environ.get("CRASH_SEED", "1"))
        self.points = int(os.environ.get("CRASH_POINTS", str(default_points)))
        if self.points < minimum_points:
            sys.exit(f"{name}: CRASH_POINTS must be at least {minimum_points}")
        self.pinned = parse_base(os.environ.get("CRASH_BASE_MS", ""))
        self.keep = os.environ.get("CRASH_KEEP", "") == "1"
        self.work = tempfile.mkdtemp(prefix=f"materia-{name}.")
        self.started = time.monotonic()
        self.failures = []
        self.killed = 0      # kill points used
        self.mid_work = 0    # ... where the process was still running when killed
        self.bases = {}      # command kind -> base duration in seconds
        self.delays = []     # (point, kind, delay_ms), for the report
        rng = random.Random(f"{name}:{self.seed}")
        fractions = [(i + rng.random()) / self.points for i in range(self.points)]
        rng.shuffle(fractions)
        self.fractions = fractions
        print(f"{name}: seed {self.seed}, {self.points} kill points, work dir {self.work}", flush=True)

    # --- kill points --------------------------------------------------------------

    def set_base(self, kind, measured_s):
        """The duration kill points of `kind` spread over: measured, unless pinned."""
        pinned = self.pinned.get(kind, self.pinned.get("", None))
        self.bases[kind] = pinned / 1000.0 if pinned is not None else measured_s
        return self.bases[kind]

    def delay(self, point, kind):
        """Seconds after its start at which kill point `point` kills a `kind` command."""
        delay_s = self.fractions[point] * self.bases[kind]
        self.delays.append((point, kind, round(delay_s * 1000)))
        return delay_s

    def kill_at(self, point, kind, args, cwd, env=None):
        """Starts materia ARGS, SIGKILLs it at the point's delay. Returns (delay_ms, killed
        while running, exit code when it finished first)."""
        delay_s = self.delay(point, kind)
        process = subprocess.Popen([MATERIA] + args, cwd=cwd, env=merged_env(env),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.killed += 1
        try:
            code = process.wait(timeout=delay_s)
            return round(delay_s * 1000), False, code
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            self.mid_work += 1
            return round(delay_s * 1000), True, None

    # --- findings -----------------------------------------------------------------

    def fail(self, point, message):
        where = f"point {point}" if point is not None else "set-up"
        delay = next((d for p, _, d in reversed(self.delays) if p == point), None)
        when = f" (kill at {delay} ms)" if delay is not None else ""
        line = f"FAIL {self.name} seed {self.seed} {where}{when}: {message}"
        if len(self.failures) < FAILURES_SHOWN:
            print(line, flush=True)
        elif len(self.failures) == FAILURES_SHOWN:
            print("(more failures not shown)", flush=True)
        self.failures.append(line)

    def finish(self):
        seconds = time.monotonic() - self.started
        bases = ",".join(f"{k}={round(v * 1000)}" for k, v in sorted(self.bases.items()))
        print(f"{self.name}: {self.killed} kill points, {self.mid_work} landed mid-work, "
              f"{len(self.failures)} failures, seed {self.seed}, base durations (ms) {bases}, "
              f"{seconds:.1f}s", flush=True)
        if self.failures:
            print("kill delays (point kind ms): " +
                  " ".join(f"{p}:{k}:{d}" for p, k, d in self.delays))
            print(f"reproduce: CRASH_SEED={self.seed} CRASH_POINTS={self.points} "
                  f"CRASH_BASE_MS={bases} CRASH_KEEP=1 MATERIA=... MATERIA_SOURCE_DIR=... "
                  f"python3 {sys.argv[0]}")
        if self.keep or self.failures and os.environ.get("CRASH_KEEP") == "1":
            print(f"work dir kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        sys.exit(1 if self.failures else 0)


def parse_base(text):
    pinned = {}
    for part in filter(None, text.split(",")):
        kind, _, value = part.rpartition("=")
        pinned[kind] = float(value)
    return pinned


def merged_env(extra):
    env = dict(os.environ)
    for key in ("DUCKDB_PATH", "LANDING_DIR", "SERVING_DUCKDB_PATH"):
        env.pop(key, None)
    if extra:
        env.update(extra)
    return env


def run(args, cwd, env=None, timeout=COMMAND_TIMEOUT_S):
    """Runs materia ARGS to the end: (exit code, stdout, stderr, seconds)."""
    started = time.monotonic()
    try:
        done = subprocess.run([MATERIA] + args, cwd=cwd, env=merged_env(env), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {timeout}s", time.monotonic() - started
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def one_line(text, limit=300):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def sql(cwd, query, duckdb_path=None):
    """Rows (lists of strings; NULL is "") of a read-only query through `materia sql`, or
    raises RuntimeError with materia's message."""
    env = {"DUCKDB_PATH": duckdb_path} if duckdb_path else None
    code, out, err, _ = run(["sql", query, "--format", "csv"], cwd, env)
    if code != 0:
        raise RuntimeError(one_line(err or out))
    return list(csv.reader(io.StringIO(out)))[1:]  # (the JSON format orders columns by name)


def contents_query(relations):
    """One query giving (name, rows, order-independent hash) of each relation."""
    parts = [f"SELECT '{name}' AS name, count(*)::VARCHAR AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS h "
             f"FROM {name} AS t" for name in relations]
    return " UNION ALL ".join(parts)


def contents(cwd, relations, duckdb_path=None):
    """{relation: (rows, hash)} of `relations`, read in one query."""
    if not relations:
        return {}
    return {row[0]: (int(row[1]), row[2]) for row in sql(cwd, contents_query(relations), duckdb_path)}


def sqlite_rows(path, query):
    connection = sqlite3.connect(path, timeout=10)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def copy_file(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(source, target)  # keeps the mtime: data versions hash it
