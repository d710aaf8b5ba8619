#!/usr/bin/env bash
# Evidence-reading benchmark (not run in CI).
#
# Builds the release binaries, generates a 1 GiB `kubectl cluster-info dump` with unloop-gen
# (once; it is kept in $BENCH_DIR), then measures, in the same run and on the same files:
#   (a) the JSON list files only:  unloop evidence -o summary   vs  jq -c '.items[]' > /dev/null
#   (b) the logs.txt files only:    unloop evidence -o summary   vs  grep -c ERROR
# and prints input size, seconds, MB/s and peak RSS for each.
#
# Environment:
#   BENCH_DIR   where the dump and the two file views live      (default /tmp/unloop-bench)
#   BENCH_SIZE  dump size for unloop-gen --size                  (default 1GiB)
#   BENCH_SEED  unloop-gen --seed                                (default 1)
#   BENCH_RUNS  timed runs per command; the fastest is reported  (default 2)
#   UNLOOP      path of the unloop binary                        (default target/release/unloop)
#
# Peak RSS comes from wait4(2)'s rusage of each measured child (python3's os.wait4), i.e. the
# same number `/usr/bin/time -v` prints as "Maximum resident set size". Files are read once
# before timing so every tool sees a warm page cache.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/unloop-bench}
BENCH_SIZE=${BENCH_SIZE:-1GiB}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-2}
UNLOOP=${UNLOOP:-target/release/unloop}
GEN=target/release/unloop-gen

log() { printf '==> %s\n' "$*" >&2; }

log "building release binaries"
cargo build --release -p unloop-gen
if ! cargo build --release -p unloop; then
  log "warning: unloop does not build yet; its rows will read n/a"
fi

DUMP="$BENCH_DIR/dump"
STAMP="$BENCH_DIR/dump.done"
WANT="size=$BENCH_SIZE seed=$BENCH_SEED"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
  log "generating $BENCH_SIZE cluster-info dump into $DUMP"
  rm -rf "$DUMP" "$BENCH_DIR/view-json" "$BENCH_DIR/view-logs"
  mkdir -p "$BENCH_DIR"
  "$GEN" dump --out "$DUMP" --size "$BENCH_SIZE" --seed "$BENCH_SEED"
  echo "$WANT" > "$STAMP"
else
  log "reusing $DUMP ($WANT)"
fi

export BENCH_DIR BENCH_RUNS UNLOOP
python3 - <<'PY'
import os, resource, shutil, subprocess, sys, time

bench = os.environ["BENCH_DIR"]
runs = max(1, int(os.environ["BENCH_RUNS"]))
unloop = os.environ["UNLOOP"]
dump = os.path.join(bench, "dump")

def view(name, keep):
    """A directory of hard links holding only some files of the dump, same layout."""
    root = os.path.join(bench, name)
    files = []
    for dirpath, _, names in os.walk(dump):
        for n in names:
            if keep(n):
                src = os.path.join(dirpath, n)
                dst = os.path.join(root, os.path.relpath(src, dump))
                if not os.path.exists(dst):
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    try:
                        os.link(src, dst)
                    except OSError:
                        shutil.copyfile(src, dst)
                files.append(dst)
    files.sort()
    return root, files

json_root, json_files = view("view-json", lambda n: n.endswith(".json"))
log_root, log_files = view("view-logs", lambda n: n == "logs.txt")

def size(files):
    return sum(os.path.getsize(f) for f in files)

def warm(files):
    buf = bytearray(1 << 20)
    for f in files:
        with open(f, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass

def measure(argv):
    """Run argv with stdout to /dev/null; return (seconds, peak RSS bytes, exit code)."""
    best_t, peak = None, 0
    code = 0
    for _ in range(runs):
        with open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE)
            _, status, ru = os.wait4(p.pid, 0)
            dt = time.perf_counter() - t0
            err = p.stderr.read().decode(errors="replace").strip()
            p.stderr.close()
            p.returncode = os.waitstatus_to_exitcode(status)
        code = p.returncode
        if err and code not in (0, 1):
            print("   %s: %s" % (argv[0], err.splitlines()[-1][:200]), file=sys.stderr)
        best_t = dt if best_t is None else min(best_t, dt)
        peak = max(peak, ru.ru_maxrss * 1024)  # Linux reports KiB
    return best_t, peak, code

rows = []
have_unloop = os.access(unloop, os.X_OK)
have_jq = shutil.which("jq") is not None
for label, root, files, other_name, other_argv in (
    ("(a) JSON lists", json_root, json_files, "jq -c '.items[]' > /dev/null", ["jq", "-c", ".items[]"] + json_files),
    ("(b) logs.txt", log_root, log_files, "grep -c ERROR", ["grep", "-c", "ERROR"] + log_files),
):
    nbytes = size(files)
    print("==> %s: %d files, %.1f MB; warming the page cache" % (label, len(files), nbytes / 1e6), file=sys.stderr)
    warm(files)
    if have_unloop:
        t, rss, code = measure([unloop, "evidence", "-o", "summary", root])
        rows.append((label, len(files), nbytes, "unloop evidence -o summary", t, rss, code))
    else:
        rows.append((label, len(files), nbytes, "unloop evidence -o summary", None, None, None))
    if other_argv[0] == "jq" and not have_jq:
        rows.append((label, len(files), nbytes, other_name, None, None, None))
    else:
        t, rss, code = measure(other_argv)
        rows.append((label, len(files), nbytes, other_name, t, rss, code))

hdr = ("input", "files", "size MB", "command", "seconds", "MB/s", "peak RSS MB", "exit")
out = [hdr]
for label, n, nbytes, cmd, t, rss, code in rows:
    if t is None:
        out.append((label, str(n), "%.1f" % (nbytes / 1e6), cmd, "n/a", "n/a", "n/a", "-"))
    else:
        out.append((label, str(n), "%.1f" % (nbytes / 1e6), cmd, "%.2f" % t, "%.1f" % (nbytes / 1e6 / t),
                    "%.1f" % (rss / 1e6), str(code)))
widths = [max(len(r[i]) for r in out) for i in range(len(hdr))]
right = {1, 2, 4, 5, 6}
for r in out:
    print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
print()
print("MB = 10^6 bytes; seconds = fastest of %d run(s); peak RSS = max resident set size (wait4 rusage)." % runs)
print("grep exits 1 when a file has no match; jq and unloop should exit 0.")
PY
