#!/usr/bin/env python3
"""Crash consistency of `materia export-serving`: the serving file is always either the
old or the new complete file.

Two warehouses of the PSD example (two different monthly windows, A and B) are built
once; an uninterrupted export of each gives the two known-good serving contents. Each
kill point then exports the other warehouse than the one the serving file holds
(`export-serving --force`, DUCKDB_PATH picking the warehouse) and SIGKILLs it at a seeded
delay. After every kill:
  - the serving file (config.yaml's serving.database) opens read-only and every serving
    table in it shows exactly the old or exactly the new contents (rows and an
    order-independent hash), never a mix of the two and never a table missing;
  - no write-ahead log sits beside it (the next reader would replay it into the file);
  - nothing but the serving file and the export's own temporary name is there;
and the restarted export exits 0, leaves the new contents and no temporary file.
"""

import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crashlib import Harness, contents, one_line, run  # noqa: E402

TABLES = ["serving.serving.dim_commodity", "serving.serving.dim_country",
          "serving.serving.fct_supply_demand", "serving.serving.obt_commodity_metrics"]
SCALE = "0.004"

harness = Harness("crash.export", default_points=50)
project = os.path.join(harness.work, "psd")
serving = os.path.join(project, "serving.duckdb")  # examples/psd/config.yaml's serving.database
warehouses = {name: os.path.join(harness.work, f"warehouse_{name}.duckdb") for name in ("a", "b")}
EXPECTED_FILES = {"serving.duckdb", "serving_new.duckdb", "serving_new.duckdb.wal"}


def must(args, what, env=None):
    code, out, err, seconds = run(args, project, env)
    if code != 0:
        harness.fail(None, f"{what}: `materia {' '.join(args)}` exits {code}: {one_line(err or out)}")
        harness.finish()
    return seconds


def serving_contents():
    """{table: (rows, hash)} of the serving file, or an error message."""
    try:
        return contents(project, TABLES, duckdb_path=serving)
    except RuntimeError as error:
        return f"cannot be read: {error}"


def export(source):
    return ["export-serving", "--force"], {"DUCKDB_PATH": warehouses[source]}


def stray_files():
    """Files beside the serving file other than the project's own and the export's."""
    ignored = {"README.md", "config.yaml", "models", "tests", "data", ".materia", "warehouse.duckdb"}
    return sorted(set(os.listdir(project)) - ignored - EXPECTED_FILES)


def main():
    shutil.copytree(os.path.join(os.environ["MATERIA_SOURCE_DIR"], "examples", "psd"), project,
                    ignore=shutil.ignore_patterns("data", ".materia", "*.duckdb", "*.duckdb.wal"))
    must(["example", "psd", "--out", "data/landing", "--months", "2", "--scale", SCALE, "--end-month", "7"],
         "generating July")
    must(["plan", "--auto-apply", "--skip-tests"], "building warehouse A")
    shutil.copy(os.path.join(project, "warehouse.duckdb"), warehouses["a"])
    must(["example", "psd", "--out", "data/landing", "--months", "1", "--scale", SCALE, "--end-month", "8"],
         "generating August")
    must(["run"], "building warehouse B")
    shutil.copy(os.path.join(project, "warehouse.duckdb"), warehouses["b"])

    known = {}
    durations = []
    for source in ("a", "b", "a", "b"):
        args, env = export(source)
        durations.append(must(args, f"exporting warehouse {source.upper()}", env))
        known[source] = serving_contents()
        if isinstance(known[source], str) or len(known[source]) != len(TABLES):
            harness.fail(None, f"the serving file of warehouse {source.upper()} {known[source]}")
            harness.finish()
    if known["a"] == known["b"]:
        harness.fail(None, "warehouses A and B export the same contents: the test could not tell them apart")
        harness.finish()
    harness.set_base("export", statistics.median(durations))

    holds = "b"  # what the serving file holds now
    for point in range(harness.points):
        source = "a" if holds == "b" else "b"
        args, env = export(source)
        harness.kill_at(point, "export", args, project, env)
        seen = serving_contents()
        if seen not in (known["a"], known["b"]):
            harness.fail(point, f"the serving file is neither the old nor the new complete file: {seen}")
        if os.path.exists(serving + ".wal"):
            harness.fail(point, "a write-ahead log serving.duckdb.wal sits beside the serving file")
        if stray_files():
            harness.fail(point, f"unexpected files beside the serving file: {stray_files()}")
        code, out, err, _ = run(args, project, env)
        if code != 0:
            harness.fail(point, f"the export after the kill exits {code}: {one_line(err or out)}")
            continue
        seen = serving_contents()
        if seen != known[source]:
            harness.fail(point, f"after the restarted export the serving file is not warehouse "
                                f"{source.upper()}'s: {seen}")
        left = sorted(set(os.listdir(project)) & (EXPECTED_FILES - {"serving.duckdb"}))
        if left:
            harness.fail(point, f"the completed export left its temporary files: {left}")
        holds = source
    harness.finish()


main()
