#!/usr/bin/env python3
"""Crash consistency of `materia features write` on the example video pipeline's DuckDB
store and SQLite materialization catalog: a write is all or nothing.

Each kill point writes one batch of video/raw samples (new samples, and new versions of
samples already stored) and SIGKILLs the write at a seeded delay. After every kill:
  - `materia features read video/raw` shows, sample by sample, either the store as it
    was before the write or with every row of the write, never part of it;
  - `materia features catalog verify` exits 0: the catalog agrees with the store; or,
    when the kill came after the store committed the write, it may still describe the
    store as it was before the write (`count:` / `data:` lines: the catalog is updated
    after the store commits, in one transaction of its own), never without an entry;
and the write run again exits 0 and brings the catalog up to date; the next point's
checks (and a last one) see its rows.
"""

import csv
import json
import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crashlib import Harness, one_line, run  # noqa: E402

FIRST_SAMPLES = 2000   # stored before the first kill
NEW_PER_BATCH = 400    # new samples per write
UPDATED_PER_BATCH = 200  # samples written again with a new sample version

harness = Harness("crash.features", default_points=50)
harness.lags = 0
project = os.path.join(harness.work, "video")


def write_batch(index, ids, stored):
    """Writes batch `index` (rows for `ids`) as a CSV; returns the store expected after it."""
    path = os.path.join(project, f"batch{index}.csv")
    after = dict(stored)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["video_id", "frames", "audio", "duration_seconds", "materia_sample_version"])
        for video in ids:
            version = f"b{index}-{video}"
            writer.writerow([video, f"f{video}.bin", f"a{video}.wav", video % 60, version])
            after[str(video)] = version
    return path, after


def read_store():
    """{video_id: sample version} as `features read` shows it, or an error message."""
    target = os.path.join(harness.work, "read.csv")
    if os.path.exists(target):
        os.remove(target)
    code, out, err, _ = run(["features", "read", "video/raw", "--out", target], project)
    if code != 0:
        if "no store holds feature video/raw" in err:
            return {}
        return f"`materia features read` exits {code}: {one_line(err or out)}"
    with open(target, newline="") as file:
        return {row["video_id"]: row["materia_sample_version"] for row in csv.DictReader(file)}


def describe(seen, before, after):
    if isinstance(seen, str):
        return seen
    written = {k for k in after if before.get(k) != after[k]}
    visible = sum(1 for k in written if seen.get(k) == after[k])
    other = sum(1 for k in set(seen) | set(after) if seen.get(k) not in (before.get(k), after.get(k)))
    return (f"{len(seen)} samples; {visible} of the write's {len(written)} rows visible; "
            f"{other} samples match neither the store before nor after")


def verify(point, when, committed=False):
    """Runs `catalog verify`. Returns whether it reported a lag: the catalog still
    describing the store as it was before a write that committed (`committed`), which
    is all a kill between the store's commit and the catalog's update may leave. Any
    other disagreement (an entry missing, data the catalog does not list) fails."""
    code, out, err, _ = run(["features", "catalog", "verify", "--format", "json"], project)
    if code == 0:
        return False
    try:
        kinds = {drift["kind"] for drift in json.loads(out)["drift"]}
    except (ValueError, KeyError, TypeError):
        kinds = set()
    lag = code == 1 and committed and kinds and kinds <= {"count", "data"}
    if not lag:
        harness.fail(point, f"{when}: `materia features catalog verify` exits {code}: {one_line(out + err)}")
    return lag


def main():
    shutil.copytree(os.path.join(os.environ["MATERIA_SOURCE_DIR"], "examples", "features"), project)
    path, stored = write_batch("first", range(FIRST_SAMPLES), {})
    durations = []
    for attempt in range(3):  # the same batch again: the store supersedes its rows
        code, out, err, seconds = run(["features", "write", "video/raw", "--in", path], project)
        if code != 0:
            harness.fail(None, f"the first write exits {code}: {one_line(err or out)}")
            harness.finish()
        durations.append(seconds)
    if read_store() != stored:
        harness.fail(None, f"after the first writes the store shows {describe(read_store(), {}, stored)}")
        harness.finish()
    harness.set_base("write", statistics.median(durations))

    next_id = FIRST_SAMPLES
    for point in range(harness.points):
        updated = [(point * 37 + k * 11) % next_id for k in range(UPDATED_PER_BATCH)]
        ids = sorted(set(updated)) + list(range(next_id, next_id + NEW_PER_BATCH))
        next_id += NEW_PER_BATCH
        path, after = write_batch(point, ids, stored)
        args = ["features", "write", "video/raw", "--in", path]
        harness.kill_at(point, "write", args, project)
        seen = read_store()
        if seen != stored and seen != after:
            harness.fail(point, f"the store shows part of the killed write: {describe(seen, stored, after)}")
        lagging = verify(point, "after the kill", committed=seen == after)
        harness.lags += lagging
        code, out, err, _ = run(args, project)
        if code != 0:
            harness.fail(point, f"the write after the kill exits {code}: {one_line(err or out)}")
            break
        if lagging:
            verify(point, "after the write ran again (the catalog lagged after the kill)")
        stored = after  # the next point's checks see whether this rerun converged
    seen = read_store()
    if seen != stored:
        harness.fail(harness.points - 1, f"after the last rerun the store shows {describe(seen, stored, stored)}")
    verify(harness.points - 1, "after the last rerun")
    print(f"crash.features: {harness.lags} kills left the catalog one write behind the store "
          f"(verify reports it; the write run again brings it up to date)")
    harness.finish()


main()
