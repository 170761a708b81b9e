#!/usr/bin/env bash
# Side by side on this machine, in one run: sdrs-conformance and Schemathesis (from PyPI) against
# the same emulator (`serve`) and the same OpenAPI file, each reporting cases per second.
# Not part of CI: it installs Schemathesis into a private virtualenv under target/.
#
#   benches/compare.sh [MAX_EXAMPLES]     (default 5 examples per Schemathesis operation)
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-5}"
VENV=target/compare-venv
TOKEN=compare-token
PROJECT=0605767a3b8a4e4a9f1d2c3b4a5e6f70

cargo build --release --quiet
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

serve_log=$(mktemp)
target/release/sdrs-conformance serve --port 0 --token "$TOKEN" >"$serve_log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; rm -f "$serve_log"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$serve_log" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$serve_log")
[ -n "$url" ] || { echo "serve did not start:"; cat "$serve_log"; exit 2; }

echo "== sdrs-conformance against $url"
start=$(date +%s.%N)
target/release/sdrs-conformance run --endpoint "$url" --project-id "$PROJECT" --token "$TOKEN" --json target/compare-ours.json >/dev/null || true
end=$(date +%s.%N)
ours_cases=$(python3 -c "import json;print(json.load(open('target/compare-ours.json'))['summary']['total'])")
ours_secs=$(python3 -c "print(round($end-$start,3))")

echo "== Schemathesis $("$VENV/bin/schemathesis" --version 2>/dev/null | tail -1) against $url ($MAX_EXAMPLES examples per operation)"
start=$(date +%s.%N)
"$VENV/bin/schemathesis" run specs/sdrs-v1.openapi.yaml --url "$url" \
  -H "X-Auth-Token: $TOKEN" --max-examples "$MAX_EXAMPLES" --checks all \
  --report junit --report-junit-path target/compare-schemathesis.xml >/dev/null 2>&1 || true
end=$(date +%s.%N)
theirs_cases=$(python3 - <<'PY'
import xml.etree.ElementTree as ET
root = ET.parse('target/compare-schemathesis.xml').getroot()
print(sum(int(s.get('tests', 0)) for s in root.iter('testsuite')))
PY
)
theirs_secs=$(python3 -c "print(round($end-$start,3))")

printf '\n%-20s %8s %10s %12s\n' tool cases seconds cases/s
printf '%-20s %8s %10s %12.1f\n' sdrs-conformance "$ours_cases" "$ours_secs" "$(python3 -c "print($ours_cases/$ours_secs)")"
printf '%-20s %8s %10s %12.1f\n' schemathesis "$theirs_cases" "$theirs_secs" "$(python3 -c "print($theirs_cases/max($theirs_secs,0.001))")"
echo "(Schemathesis counts one test per operation, each sending up to $MAX_EXAMPLES generated requests.)"
