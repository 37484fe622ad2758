#!/usr/bin/env python3
"""One-command benchmark: scamtrends vs DuckDB on the same generated data.

For each size (rows) it generates the dataset once as Parquet and once as CSV
(same seed, so the same transfers), then times, side by side in this run:

  scamtrends run      (CSV, Parquet, and from the ingest store)
  DuckDB              bench/revenue_by_type.sql over the same files
  DuckDB bare scan    every column of the transfers read as text and touched
                      once (the floor a run is measured against, issue #15)

with /usr/bin/time -v (wall time, peak RSS), each --repeat times, interleaved
(reported: the median wall time and the largest peak RSS; every run is kept
in the JSON), checks that DuckDB's revenue by type per quarter equals
scamtrends' revenue_by_type.parquet to the cent in every run, and writes
bench/results/<date>-<sizes>.json plus a Markdown table for docs/benchmarks.md.

usage: python3 bench/run.py [--sizes 1000000,10000000,100000000] [--repeat 3] [--work DIR] [--keep]
needs: pip install duckdb; a release build (cargo build --release).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 11


def timed(cmd, cwd=None, expect=0):
    """Run cmd under /usr/bin/time -v; return wall seconds and peak RSS in MB."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != expect:
        sys.exit(f"failed: {str(cmd[0])} ...\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    # CPU time over wall time: 200% is both cores busy throughout
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", proc.stderr)
    return {"wall_s": round(seconds, 2), "peak_rss_mb": round(rss_kb / 1024),
            "cpu_percent": int(cpu.group(1)) if cpu else None}


def binary():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    exe = target / "release" / "scamtrends"
    if not exe.exists():
        # --tests: the same feature set as `cargo test --release`, so the
        # polars build CI already paid for is reused.
        subprocess.run(["cargo", "build", "--release", "--tests"], cwd=REPO, check=True)
    return str(exe)


def generate(exe, rows, fmt, out):
    if (out / "SYNTHETIC").exists():
        return None
    files = max(1, min(128, rows // 1_000_000))
    return timed([exe, "generate", "--rows", str(rows), "--seed", str(SEED), "--files", str(files),
                  "--format", fmt, "--out", str(out), "--quiet"])


def duckdb_query(data, fmt, addresses, result):
    text = (REPO / "bench" / "revenue_by_type.sql").read_text()
    sql = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("--"))
    if fmt == "csv":
        transfers = f"read_csv('{data}/transfers/*.csv', header = true, all_varchar = true, filename = true)"
    else:
        transfers = f"read_parquet('{data}/transfers/*.parquet', filename = true)"
    sql = sql.format(
        transfers=transfers,
        addresses=f"read_parquet('{addresses}')",
        prices=f"read_csv('{data}/prices.csv', header = true, all_varchar = true)",
    )
    script = (
        "import csv, duckdb\n"
        "con = duckdb.connect()\n"
        "con.execute('SET threads = 2')\n"
        "con.execute('SET enable_progress_bar = false')\n"
        f"stmts = [s for s in {sql!r}.split(';') if s.strip()]\n"
        "for s in stmts[:-1]: con.execute(s)\n"
        "cur = con.execute(stmts[-1])\n"
        f"with open({str(result)!r}, 'w', newline='') as f:\n"
        "    w = csv.writer(f)\n"
        "    w.writerow([d[0] for d in cur.description])\n"
        "    w.writerows(cur.fetchall())\n"
    )
    return timed([sys.executable, "-c", script])


def duckdb_bare_scan(data, fmt):
    """The cost of reading the transfers once: DuckDB (2 threads) reads every
    column as text and sums their lengths. fmt "store": every transfers part
    of an ingest store (`data` is the store)."""
    src = {"csv": f"read_csv('{data}/transfers/*.csv', header = true, all_varchar = true)",
           "parquet": f"read_parquet('{data}/transfers/*.parquet')",
           "store": f"read_parquet('{data}/transfers/**/*.parquet')"}[fmt]
    script = (
        "import duckdb\n"
        "con = duckdb.connect()\n"
        "con.execute('SET threads = 2')\n"
        "con.execute('SET enable_progress_bar = false')\n"
        f"cols = [r[0] for r in con.execute(\"DESCRIBE SELECT * FROM {src}\").fetchall()]\n"
        "expr = ' + '.join(f'sum(length(CAST({c} AS VARCHAR)))' for c in cols)\n"
        f"print(con.execute(f\"SELECT count(*), {{expr}} FROM {src}\").fetchone())\n"
    )
    return timed([sys.executable, "-c", script])


def stage_timings(run_dir):
    """The run's own stage timings (manifest.json `timings_ms`)."""
    return json.loads((run_dir / "manifest.json").read_text()).get("timings_ms", {})


def compare(run_dir, duck_csv):
    import duckdb

    ours = duckdb.sql(
        f"SELECT period, scam_type, CAST(round(revenue_usd * 100) AS BIGINT) AS revenue_cents, deposits, "
        f"unpriced_deposits, senders FROM read_parquet('{run_dir}/revenue_by_type.parquet') ORDER BY ALL"
    ).fetchall()
    theirs = duckdb.sql(f"SELECT * FROM read_csv('{duck_csv}') ORDER BY ALL").fetchall()
    theirs = [tuple(r) for r in theirs]
    if ours != theirs:
        diff = [(a, b) for a, b in zip(ours, theirs) if a != b][:5]
        return {"equal": False, "rows": len(ours), "first_differences": [list(map(str, d)) for d in diff]}
    return {"equal": True, "rows": len(ours)}


def summary(samples):
    """Several runs of one command: the median wall time, the largest peak RSS."""
    walls = sorted(x["wall_s"] for x in samples)
    return {"wall_s": walls[len(walls) // 2], "peak_rss_mb": max(x["peak_rss_mb"] for x in samples),
            "runs": samples}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000,10000000,100000000")
    ap.add_argument("--work", default="/tmp/scamtrends-bench")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each timed command (median wall time, largest peak RSS)")
    ap.add_argument("--keep", action="store_true", help="keep generated data between runs")
    args = ap.parse_args()
    exe = binary()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in [int(s) for s in args.sizes.split(",")]:
        entry = {"rows": rows, "repeat": args.repeat}
        for fmt in ["parquet", "csv"]:
            data = work / f"{fmt}-{rows}"
            gen = generate(exe, rows, fmt, data)
            if gen:
                entry[f"generate_{fmt}"] = gen
            entry[f"bytes_{fmt}"] = sum(f.stat().st_size for f in (data / "transfers").iterdir())
        samples = {}
        # repetitions interleaved, so that a slow spell of the machine falls
        # on both engines rather than on one
        for rep in range(args.repeat):
            for fmt in ["parquet", "csv"]:
                data, out = work / f"{fmt}-{rows}", work / f"out-{fmt}-{rows}"
                ours = timed([exe, "run", "--data", str(data), "--out", str(out), "--no-report", "--quiet"])
                ours["stages_ms"] = stage_timings(out)
                duck_csv = work / f"duckdb-{fmt}-{rows}.csv"
                duck = duckdb_query(data, fmt, out / "addresses.parquet", duck_csv)
                equal = compare(out, duck_csv)
                bare = duckdb_bare_scan(data, fmt)
                samples.setdefault(f"scamtrends_{fmt}", []).append(ours)
                samples.setdefault(f"duckdb_{fmt}", []).append(duck)
                samples.setdefault(f"bare_scan_{fmt}", []).append(bare)
                if rep == 0 or not equal["equal"]:
                    entry[f"equal_{fmt}"] = equal
                print(json.dumps({"rows": rows, "format": fmt, "run": rep + 1, "scamtrends": ours,
                                  "duckdb": duck, "bare_scan": bare, "equal": equal}), flush=True)
        for key, runs in samples.items():
            entry[key] = summary(runs)
        store_bench(exe, work, rows, entry, args.repeat)
        if rows <= 10_000_000:
            bad_timestamp_bench(exe, work, rows, entry)
        results.append(entry)
        if not args.keep:
            for fmt in ["parquet", "csv"]:
                shutil.rmtree(work / f"{fmt}-{rows}", ignore_errors=True)
    write_results(results)


def store_bench(exe, work, rows, entry, repeat):
    """Ingest the CSV export into a store once, then run from the store."""
    data = work / f"csv-{rows}"
    store = work / f"store-{rows}"
    shutil.rmtree(store, ignore_errors=True)
    entry["ingest_csv"] = timed([exe, "ingest", str(data / "transfers"), "--store", str(store), "--quiet"])
    entry["ingest_again"] = timed([exe, "ingest", str(data / "transfers"), "--store", str(store), "--quiet"])
    entry["store_bytes"] = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    # let the kernel write the new store out first: a scheduled run reads a
    # store written long before, not one whose gigabytes are still being
    # flushed while page cache is reclaimed under it
    os.sync()
    out = work / f"out-store-{rows}"
    runs, bares = [], []
    for rep in range(repeat):
        run = timed([exe, "run", "--store", str(store), "--reports", str(data / "reports.csv"),
                     "--prices", str(data / "prices.csv"), "--out", str(out), "--no-report", "--quiet"])
        run["stages_ms"] = stage_timings(out)
        runs.append(run)
        equal = compare(out, work / f"duckdb-csv-{rows}.csv")
        if rep == 0 or not equal["equal"]:
            entry["equal_store"] = equal
        bare = duckdb_bare_scan(store, "store")
        bares.append(bare)
        print(json.dumps({"rows": rows, "store": run, "run": rep + 1, "ingest": entry["ingest_csv"],
                          "bare_scan": bare, "equal": equal}), flush=True)
    entry["scamtrends_store"] = summary(runs)
    entry["bare_scan_store"] = summary(bares)
    shutil.rmtree(store, ignore_errors=True)


def bad_timestamp_bench(exe, work, rows, entry):
    """The CSV export with every block_time in a format the method does not
    accept (DD/MM/YYYY): the run must stop with exit 4 as soon as the
    reject rate is certain to be above the limit, in bounded memory."""
    data, bad = work / f"csv-{rows}", work / f"badts-{rows}"
    shutil.rmtree(bad, ignore_errors=True)
    (bad / "transfers").mkdir(parents=True)
    for name in ["reports.csv", "prices.csv"]:
        shutil.copy(data / name, bad / name)
    rewrite = r"s/,([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9:]{8})\+08:00,/,\3\/\2\/\1 \4,/"
    for f in sorted((data / "transfers").iterdir()):
        with open(bad / "transfers" / f.name, "w") as out:
            subprocess.run(["sed", "-E", rewrite, str(f)], stdout=out, check=True)
    run = timed([exe, "run", "--data", str(bad), "--out", str(work / "out-badts"), "--quiet"], expect=4)
    entry["bad_timestamps_csv"] = run
    print(json.dumps({"rows": rows, "bad_timestamps": run}), flush=True)
    shutil.rmtree(bad, ignore_errors=True)


def machine():
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "kernel": platform.release(),
            "duckdb": duckdb.__version__}


def write_results(results):
    stamp = datetime.date.today().isoformat()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    doc = {"date": stamp, "machine": machine(), "results": results}
    # one file per day and set of sizes: a 1M check does not overwrite the
    # day's 10M and 100M run
    sizes = "-".join(f"{r['rows'] // 1_000_000}M" if r["rows"] >= 1_000_000 else str(r["rows"])
                     for r in results)
    (out / f"{stamp}-{sizes}.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(markdown(doc))


def markdown(doc):
    lines = ["| rows | input | scamtrends s (median) | DuckDB s (median) | ratio | bare scan s | × bare scan "
             "| scamtrends peak RSS MB (max) | DuckDB peak RSS MB (max) | scamtrends CPU % | equal |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in doc["results"]:
        for fmt in ["parquet", "csv"]:
            s, d = r[f"scamtrends_{fmt}"], r[f"duckdb_{fmt}"]
            b = r.get(f"bare_scan_{fmt}")
            bare = f"{b['wall_s']} | {s['wall_s'] / b['wall_s']:.1f}×" if b else " | "
            lines.append(f"| {r['rows']:,} | {fmt} | {s['wall_s']} | {d['wall_s']} | "
                         f"{s['wall_s'] / d['wall_s']:.2f}× | {bare} | {s['peak_rss_mb']} | {d['peak_rss_mb']} | "
                         f"{cpu(s)} | {r[f'equal_{fmt}']['equal']} |")
        st, b = r["scamtrends_store"], r.get("bare_scan_store")
        bare = f"{b['wall_s']} | {st['wall_s'] / b['wall_s']:.1f}×" if b else " | "
        lines.append(f"| {r['rows']:,} | store | {st['wall_s']} | | | {bare} | {st['peak_rss_mb']} | | "
                     f"{cpu(st)} | {r['equal_store']['equal']} |")
        if "bad_timestamps_csv" in r:
            b = r["bad_timestamps_csv"]
            lines.append(f"| {r['rows']:,} | CSV, wrong timestamp format (exit 4) | {b['wall_s']} | | | | | "
                         f"{b['peak_rss_mb']} | | | |")
    return "\n".join(lines)


def cpu(summary):
    """The median CPU utilisation of a command's runs."""
    values = sorted(x["cpu_percent"] for x in summary["runs"] if x.get("cpu_percent") is not None)
    return f"{values[len(values) // 2]}%" if values else ""


if __name__ == "__main__":
    main()
