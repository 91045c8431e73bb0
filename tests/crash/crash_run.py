#!/usr/bin/env python3
"""Crash consistency of `materia plan --auto-apply` (the first build) and `materia run`
on the PSD example, with new monthly data arriving between kills.

The landing directory holds a window of two monthly releases; each step slides it by a
month (one release arrives, the oldest leaves), so every step re-runs the pipeline on
new data. An uninterrupted reference run goes through the same steps first and records,
per step, every environment view's rows and content hash and what state says of each
model. Then the same steps run again, each killed (SIGKILL) at seeded points and
restarted; after every kill:
  - every view of prod that the warehouse has can be queried, and shows the complete
    contents of either the previous step or this one, model by model;
  - every table state records (materializations, prod's snapshots) exists in the
    warehouse, and prod's views point at the versions state says;
  - a model whose recorded data version is the reference's shows the reference's data
    (state never records what was not committed);
and after the step's final restart: exit 0, `materia check` finds no work, and the
views, versions and data versions equal the reference's for that step.
"""

import os
import shutil
import sqlite3
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crashlib import (Harness, contents_query, copy_file, one_line, run, sql,  # noqa: E402
                      sqlite_rows)

MODELS = ["raw.psd_alldata", "staging.stg_psd_alldata", "cleaned.commodity_country_year",
          "serving.dim_commodity", "serving.dim_country", "serving.fct_supply_demand",
          "serving.obt_commodity_metrics"]
SCALE = "0.002"
WINDOW = 2              # monthly releases in the landing directory at a time
FIRST_BUILD_KILLS = 5   # kill points of step 0 (plan --auto-apply)
KILLS_PER_STEP = 3      # kill points of each later step (run)
MTIME_BASE = 1_767_225_600  # fixed mtimes: data versions hash them

harness = Harness("crash.run", default_points=50, minimum_points=FIRST_BUILD_KILLS)
steps = 1 + -(-(harness.points - FIRST_BUILD_KILLS) // KILLS_PER_STEP)
project = os.path.join(harness.work, "psd")
pool = os.path.join(harness.work, "pool")


def command(step):
    return ["plan", "--auto-apply", "--skip-tests"] if step == 0 else ["run"]


def kind(step):
    return "plan" if step == 0 else "run"


def fresh_project():
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(os.path.join(os.environ["MATERIA_SOURCE_DIR"], "examples", "psd"), project,
                    ignore=shutil.ignore_patterns("data", ".materia", "*.duckdb", "*.duckdb.wal"))


def releases():
    """The pool's monthly files, oldest first, as paths relative to the pool."""
    found = []
    for directory, _, files in os.walk(pool):
        found += [os.path.relpath(os.path.join(directory, f), pool) for f in files]
    return sorted(found)


def set_landing(step, months):
    """Makes the landing directory hold exactly the window of `step`."""
    window = set(months[step:step + WINDOW])
    landing = os.path.join(project, "data", "landing")
    for directory, _, files in os.walk(landing):
        for name in files:
            relative = os.path.relpath(os.path.join(directory, name), landing)
            if relative not in window:
                os.remove(os.path.join(directory, name))
    for relative in window:
        target = os.path.join(landing, relative)
        if not os.path.exists(target):
            copy_file(os.path.join(pool, relative), target)


def state_rows(query):
    """Rows of a query on the state store; none before it exists (a kill can come before
    its schema was committed)."""
    path = os.path.join(project, ".materia", "state.db")
    if not os.path.exists(path):
        return []
    try:
        return sqlite_rows(path, query)
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise


def state_summary():
    """What state says of prod: {model: (version, data version, rows)}; {} before prod."""
    rows = state_rows("SELECT e.model, e.version, m.data_version, m.rows FROM environment_snapshots e "
                             "LEFT JOIN materializations m ON m.name = e.model AND m.version = e.version "
                             "WHERE e.environment = 'prod'")
    return {model: (version, data_version, count) for model, version, data_version, count in rows}


def physical(model, version):
    schema, table = model.split(".")
    return f"materia__{schema}", f"{schema}__{table}__{version}"


CATALOG = ("SELECT 'table' AS kind, schema_name AS a, table_name AS b, '' AS c FROM duckdb_tables() UNION ALL "
           "SELECT 'view', schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal")


def read_warehouse():
    """(catalog {(schema, name): (kind, sql)}, contents {view: (rows, hash)}) of the
    warehouse, the contents of every prod view it has; raises RuntimeError when a view
    present cannot be read."""
    if not os.path.exists(os.path.join(project, "warehouse.duckdb")):
        return {}, {}
    try:  # the usual case, every view there: one process
        rows = sql(project, CATALOG + " UNION ALL " + contents_query(MODELS).replace(
            "AS name, count(*)::VARCHAR AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS h",
            "AS kind, count(*)::VARCHAR, coalesce(sum(hash(t)), 0)::VARCHAR, ''"))
    except RuntimeError:
        rows = sql(project, CATALOG)
        catalog = {(r[1], r[2]): (r[0], r[3]) for r in rows}
        present = [m for m in MODELS if tuple(m.split(".")) in catalog]
        for model in present:  # one at a time, to name the one that fails
            try:
                rows += [[model] + r[1:] + [""] for r in sql(project, contents_query([model]))]
            except RuntimeError as error:
                raise RuntimeError(f"view {model} exists but cannot be read: {error}")
    catalog = {(r[1], r[2]): (r[0], r[3]) for r in rows if r[0] in ("table", "view")}
    views = {r[0]: (int(r[1]), r[2]) for r in rows if r[0] not in ("table", "view")}
    return catalog, views


def check_consistent(point, step, reference):
    """The checks after a kill (see the module's comment). Returns False on failure."""
    try:
        catalog, views = read_warehouse()
    except RuntimeError as error:
        harness.fail(point, f"step {step}: the warehouse cannot be read after the kill: {error}")
        return False
    ok = True
    state = state_summary()
    recorded = state_rows("SELECT name, version FROM materializations")
    for name, version in recorded:
        if physical(name, version) not in catalog:
            harness.fail(point, f"step {step}: state records a materialization of {name} version {version} "
                                f"but the warehouse has no {'.'.join(physical(name, version))}")
            ok = False
    for model, (version, _, _) in state.items():
        schema, table = model.split(".")
        target = ".".join(physical(model, version))
        view = catalog.get((schema, table))
        if view is None or view[0] != "view":
            harness.fail(point, f"step {step}: prod in state has {model} (version {version}) "
                                f"but the warehouse has no view {model}")
            ok = False
        elif target not in view[1]:
            harness.fail(point, f"step {step}: view {model} does not point at {target}, the version "
                                f"state says prod uses: {one_line(view[1])}")
            ok = False
        if physical(model, version) not in catalog:
            harness.fail(point, f"step {step}: prod in state uses {target}, missing from the warehouse")
            ok = False
    allowed = [reference[step]] + ([reference[step - 1]] if step > 0 else [])
    for model, seen in views.items():
        if not any(ref["contents"].get(model) == seen for ref in allowed):
            harness.fail(point, f"step {step}: view {model} shows {seen[0]} rows (hash {seen[1]}), "
                                f"neither the complete contents of step {step} "
                                f"{reference[step]['contents'].get(model)} nor of the step before")
            ok = False
    # Recorded => committed: a model recorded at this step's data version shows this
    # step's data. (Recorded at the step before while showing this step's data is the
    # window between a commit and its record: the next run re-runs the model.)
    expected = reference[step]
    for model, (_, data_version, _) in state.items():
        if model not in views or expected["state"].get(model, (None, None))[1] != data_version:
            continue
        if expected["contents"].get(model) != views[model]:
            harness.fail(point, f"step {step}: state records {model} at this step's data version "
                                f"({data_version}) but its view shows {views[model]}, not this step's "
                                f"{expected['contents'].get(model)}")
            ok = False
    return ok


def converge(point, step, reference):
    """The uninterrupted restart that ends a step, and the comparison with the reference."""
    code, out, err, _ = run(command(step), project)
    if code != 0:
        harness.fail(point, f"step {step}: the restart `materia {' '.join(command(step))}` exits {code}: "
                            f"{one_line(err or out)}")
        return False
    code, out, err, _ = run(["check"], project)
    if code != 1:
        harness.fail(point, f"step {step}: after the restart `materia check` exits {code}, expected 1 "
                            f"(no work): {one_line(out + err)}")
    try:
        _, views = read_warehouse()
    except RuntimeError as error:
        harness.fail(point, f"step {step}: after the restart the warehouse cannot be read: {error}")
        return False
    expected = reference[step]
    if views != expected["contents"]:
        for model in sorted(set(views) | set(expected["contents"])):
            if views.get(model) != expected["contents"].get(model):
                harness.fail(point, f"step {step}: after the restart view {model} is {views.get(model)}, "
                                    f"the uninterrupted run's is {expected['contents'].get(model)}")
        return False
    state = state_summary()
    if state != expected["state"]:
        for model in sorted(set(state) | set(expected["state"])):
            if state.get(model) != expected["state"].get(model):
                harness.fail(point, f"step {step}: after the restart state has {model} at (version, "
                                    f"data version, rows) {state.get(model)}, the uninterrupted run "
                                    f"{expected['state'].get(model)}")
        return False
    return True


def build_reference(months):
    """Runs every step uninterrupted; returns per step its contents and state summary."""
    fresh_project()
    reference = []
    durations = {"plan": [], "run": []}
    for step in range(steps):
        set_landing(step, months)
        code, out, err, seconds = run(command(step), project)
        if code != 0:
            harness.fail(None, f"reference step {step}: `materia {' '.join(command(step))}` exits {code}: "
                               f"{one_line(err or out)}")
            harness.finish()
        durations[kind(step)].append(seconds)
        code, out, err, _ = run(["check"], project)
        if code != 1:
            harness.fail(None, f"reference step {step}: `materia check` exits {code}, expected 1: {one_line(out)}")
        _, views = read_warehouse()
        if sorted(views) != sorted(MODELS):
            harness.fail(None, f"reference step {step}: prod has views {sorted(views)}")
            harness.finish()
        reference.append({"contents": views, "state": state_summary()})
        if step > 0 and reference[step]["contents"]["raw.psd_alldata"] == reference[step - 1]["contents"][
                "raw.psd_alldata"]:
            harness.fail(None, f"reference step {step}: the new month did not change raw.psd_alldata")
    harness.set_base("plan", durations["plan"][0])
    harness.set_base("run", statistics.median(durations["run"]) if durations["run"] else 1.0)
    return reference


def main():
    code, out, err, _ = run(["example", "psd", "--out", pool, "--months", str(steps + WINDOW - 1),
                             "--scale", SCALE, "--end-year", "2026", "--end-month", "8"], harness.work)
    if code != 0:
        harness.fail(None, f"the generator exits {code}: {one_line(err)}")
        harness.finish()
    months = releases()
    for index, relative in enumerate(months):
        stamp = MTIME_BASE + index * 86_400
        os.utime(os.path.join(pool, relative), (stamp, stamp))
    reference = build_reference(months)

    fresh_project()
    point = 0
    for step in range(steps):
        set_landing(step, months)
        kills = FIRST_BUILD_KILLS if step == 0 else KILLS_PER_STEP
        for _ in range(kills):
            if point == harness.points:
                break
            harness.kill_at(point, kind(step), command(step), project)
            check_consistent(point, step, reference)
            point += 1
        if not converge(point - 1, step, reference):
            break  # later steps would compare against a state that already differs
    harness.finish()


main()
