#!/usr/bin/env python3
"""Crash consistency of `materia extract` against `materia example serve-psd` on
127.0.0.1: the landing directory only ever shows complete files.

The server publishes three monthly archives and the current file (a share of the bodies
cut off half-way, so that retries and their temporary files are part of the work). Each
kill point removes landing files (all of them, all of them and the state with its
ETags, or all but one month), runs `materia extract` and SIGKILLs it at a seeded delay. After
every kill:
  - every file a glob `*.csv.gz` sees is one of the expected names and decompresses to
    exactly the content the server publishes (checked against `materia example psd`
    with the same parameters); anything else is a hidden temporary file;
and the restarted extract exits 0 and leaves exactly the expected files, each complete,
and no temporary file.
"""

import gzip
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crashlib import MATERIA, Harness, merged_env, one_line, run  # noqa: E402

SCALE = "0.02"
TEMPORARY = re.compile(r"^\.extract-.*\.tmp$")  # what LandingFile writes before its rename

harness = Harness("crash.extract", default_points=50)
project = os.path.join(harness.work, "proj")
landing = os.path.join(project, "lake")
state = os.path.join(project, ".materia")


def start_server():
    server = subprocess.Popen([MATERIA, "example", "serve-psd", "--port", "0", "--months", "3",
                               "--end-year", "2026", "--end-month", "8", "--scale", SCALE,
                               "--truncate-rate", "0.25", "--seed", str(harness.seed), "--quiet"],
                              cwd=harness.work, env=merged_env(None), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    match = re.match(r"^listening on http://127\.0\.0\.1:(\d+)$", line.strip())
    if not match:
        server.kill()
        harness.fail(None, f"serve-psd did not start: {line!r}")
        harness.finish()
    return server, int(match.group(1))


def write_project(port):
    os.makedirs(project)
    with open(os.path.join(project, "config.yaml"), "w") as config:
        config.write(f"""gateways:
  local:
    connection: {{type: duckdb, database: warehouse.duckdb}}
variables: {{landing_dir: lake}}
extract:
  psd:
    base_url: http://127.0.0.1:{port}
    archives_from: 2026-06
    archives_to: 2026-09
    retries: 6
    retry_backoff_ms: 5
    retry_backoff_max_ms: 20
    timeout_total_ms: 60000
""")


def content_hash(path):
    """SHA-256 of a gzip file's content, or None when it is not complete gzip."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def expected_files():
    """{relative path: content hash} of what the server publishes, from the generator."""
    generated = os.path.join(harness.work, "generated")
    code, _, err, _ = run(["example", "psd", "--out", generated, "--months", "3", "--end-year", "2026",
                           "--end-month", "8", "--scale", SCALE, "--seed", str(harness.seed)], harness.work)
    if code != 0:
        harness.fail(None, f"the generator exits {code}: {one_line(err)}")
        harness.finish()
    expected = {}
    for directory, _, files in os.walk(generated):
        for name in files:
            path = os.path.join(directory, name)
            expected[os.path.relpath(path, generated)] = content_hash(path)
    august = [p for p in expected if p.startswith("psd/2026/08/")]
    expected["psd/2026/09/" + os.path.basename(august[0])] = expected[august[0]]  # the current file
    return expected


def landing_files():
    """(visible *.csv.gz files, hidden temporary files, anything else), relative."""
    visible, hidden, other = [], [], []
    for directory, _, files in os.walk(landing):
        for name in files:
            relative = os.path.relpath(os.path.join(directory, name), landing)
            if name.endswith(".csv.gz"):
                visible.append(relative)
            elif TEMPORARY.match(name):
                hidden.append(relative)
            else:
                other.append(relative)
    return sorted(visible), sorted(hidden), sorted(other)


def check_landing(point, expected, complete):
    visible, hidden, other = landing_files()
    for relative in visible:
        if relative not in expected:
            harness.fail(point, f"a landing file the server does not publish: {relative}")
        elif content_hash(os.path.join(landing, relative)) != expected[relative]:
            harness.fail(point, f"landing file {relative} is incomplete or differs from the server's")
    if other:
        harness.fail(point, f"files in the landing directory that are neither complete nor temporary: {other}")
    if complete:
        if sorted(expected) != visible:
            harness.fail(point, f"after a complete extract the landing files are {visible}, "
                                f"expected {sorted(expected)}")
        if hidden:
            harness.fail(point, f"a complete extract left temporary files: {hidden}")


def reset(point):
    """Makes work for the point's extract: which files go depends on the point only."""
    if point % 3 == 0:
        shutil.rmtree(state, ignore_errors=True)  # the ETags too: a first extract
    if point % 3 in (0, 1):
        shutil.rmtree(landing, ignore_errors=True)
        return
    months = sorted(os.listdir(os.path.join(landing, "psd", "2026")))
    kept = months[point % len(months)]  # one month stays: the extract asks for it with its ETag
    for month in months:
        if month != kept:
            shutil.rmtree(os.path.join(landing, "psd", "2026", month))


def main():
    server, port = start_server()
    try:
        write_project(port)
        expected = expected_files()
        durations = []
        for _ in range(3):
            shutil.rmtree(landing, ignore_errors=True)
            shutil.rmtree(state, ignore_errors=True)
            code, out, err, seconds = run(["extract"], project)
            if code != 0:
                harness.fail(None, f"an uninterrupted extract exits {code}: {one_line(err or out)}")
                harness.finish()
            durations.append(seconds)
            check_landing(None, expected, complete=True)
        harness.set_base("extract", statistics.median(durations))
        for point in range(harness.points):
            reset(point)
            harness.kill_at(point, "extract", ["extract"], project)
            check_landing(point, expected, complete=False)
            code, out, err, _ = run(["extract"], project)
            if code != 0:
                harness.fail(point, f"the extract after the kill exits {code}: {one_line(err or out)}")
            check_landing(point, expected, complete=True)
    finally:
        server.terminate()
        server.wait()
    harness.finish()


main()
