#!/usr/bin/env bash
# The nightly simulation: the suite with `--remote` against `serve --job-duration`, a region
# rehearsed on loopback (every job held for wall-clock time, every answer delayed). For each run
# it reports wall time, the longest case, requests sent (the entries of `--har-all`) and
# resources created (the JSON report's `created_resources`); then it runs that longest case
# alone, against a fresh emulator, and gives the run's wall time over that case's own time (the
# issue's bar: 2.5 for the protection-group cases). Not part of CI.
#
#   benches/nightly.sh [SUBSET...]     (default: the protection-group cases, then the whole suite)
#
# SUBSET is a --filter value, or `all` for the whole suite. Environment: JOB_SECS (2), LATENCY_MS
# (30), TIME_SCALE (instead of JOB_SECS: the table of specs/job-durations.yaml scaled), JOBS (the
# default concurrency when unset), POLL_MS (the remote default, 2000 ms, when unset), NO_BUILD=1
# to use the binary as it is, BIN=PATH another binary. Reports, HAR files and logs of the last
# run of each subset stay under target/nightly/.
set -euo pipefail
cd "$(dirname "$0")/.."
JOB_SECS="${JOB_SECS:-2}"
LATENCY_MS="${LATENCY_MS:-30}"
TOKEN=nightly-bench-token-0123
PROJECT=0605767a3b8a4e4a9f1d2c3b4a5e6f70
BIN="${BIN:-target/release/sdrs-conformance}"
[ $# -gt 0 ] || set -- ProtectionGroup all

[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
out=target/nightly
mkdir -p "$out"
work=$(mktemp -d)
serve_pid=
trap '[ -z "$serve_pid" ] || kill $serve_pid 2>/dev/null || true; rm -rf "$work"' EXIT

if [ -n "${TIME_SCALE:-}" ]; then pacing=(--time-scale "$TIME_SCALE"); else pacing=(--job-duration "$JOB_SECS"); fi
extra=()
[ -z "${JOBS:-}" ] || extra+=(--jobs "$JOBS")
[ -z "${POLL_MS:-}" ] || extra+=(--poll-interval "$POLL_MS")

# run_once NAME FILTER...: one `run --remote` against a fresh emulator; sets $wall.
run_once() {
  local name=$1
  shift
  # A fresh emulator per run: nothing left over, quotas as new.
  "$BIN" serve --port 0 --token "$TOKEN" "${pacing[@]}" --latency "$LATENCY_MS" >"$work/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 200); do grep -q "listening on" "$work/serve.log" && break; sleep 0.05; done
  local url
  url=$(sed -n 's/^listening on //p' "$work/serve.log")
  [ -n "$url" ] || { echo "serve did not start:"; cat "$work/serve.log"; exit 2; }
  local start end
  start=$(date +%s.%N)
  status=0
  XDG_STATE_HOME="$work/state" "$BIN" run --endpoint "$url" --project-id "$PROJECT" --token "$TOKEN" --remote \
    "$@" "${extra[@]}" --json "$out/$name.json" --har "$out/$name.har" --har-all \
    >"$out/$name.log" 2>"$out/$name.err" || status=$?
  end=$(date +%s.%N)
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=
  wall=$(python3 -c "print(round($end - $start, 1))")
}

for subset in "$@"; do
  name=$(echo "$subset" | tr -c 'A-Za-z0-9_\n-' '_')
  filter=()
  [ "$subset" = all ] || filter=(--filter "$subset")
  echo "== ${subset}: run --remote (${pacing[*]}, --latency $LATENCY_MS${extra[*]:+, ${extra[*]}})"
  run_once "$name" "${filter[@]}"
  grep -E '^(FAIL|ERROR) ' "$out/$name.log" | head -5 || true
  tail -1 "$out/$name.log"
  longest=$(python3 - "$out/$name.json" "$out/$name.har" "$wall" "$status" <<'PY'
import json, sys
report, har, wall, status = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
r = json.load(open(report))
cases = r["cases"]
longest = max(cases, key=lambda c: c["duration_ms"])
requests = len(json.load(open(har))["log"]["entries"])
created = {k: v for k, v in r.get("created_resources", [])}
s = r["summary"]
out = sys.stderr
print(f"  cases            {s['total']} ({s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped), exit {status}", file=out)
print(f"  wall time        {wall:.1f} s", file=out)
print(f"  longest case     {longest['duration_ms'] / 1000:.1f} s in the run, waits for its turn included ({longest['id']})", file=out)
print(f"  requests sent    {requests}", file=out)
print(f"  created          {sum(created.values())} ({', '.join(f'{k} {v}' for k, v in sorted(created.items()))})", file=out)
print(longest["id"])
PY
)
  run_wall=$wall
  run_once "$name-longest" --filter "$longest"
  python3 - "$out/$name-longest.json" "$run_wall" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
alone = [c for c in r["cases"] if c["outcome"] != "skipped"]
ms = max((c["duration_ms"] for c in alone), default=0)
wall = float(sys.argv[2])
print(f"  longest alone    {ms / 1000:.1f} s ({len(r['cases'])} case(s) of that filter, run alone)")
print(f"  wall / longest   {wall / max(ms / 1000, 0.001):.2f}")
PY
done
