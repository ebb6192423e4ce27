#!/usr/bin/env bash
# The scale benchmark of BENCHMARKS.md ("Scale on the real engine"), for one data set:
#
#   cmd/loadgen/scale.sh SIZE [RUNS]       SIZE: 10k, 100k or 1m; RUNS: loadgen runs (default 5)
#
# Needs MONGODB_URI naming a real engine (scripts/engine start DIR prints one). It fills the
# database bench$SIZE with cmd/datagen unless $OUT/tokens.txt exists, starts serve on it, runs
# loadgen RUNS times each with the mixed load at 16 clients (16 COMs of 16 teams, one a
# client), the mixed load at 1 client, and reading one check at 1 client, each run deleting the releases it created
# (--clean-up) so that every run finds the same data, times a dry escalation run through the
# API after each, stops serve, and writes every report (JSON) and the service's log under
# $OUT (default /tmp/scale-$SIZE). KINDS="mixed mixed1 get1" chooses the loads. Then the
# medians of the runs:
#   cmd/loadgen/scale-summary.py $OUT
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE=${1:?size: 10k, 100k or 1m}
RUNS=${2:-5}
: "${MONGODB_URI:?set MONGODB_URI to a real engine}"
DB=bench$SIZE
OUT=${OUT:-/tmp/scale-$SIZE}
PORT=${PORT:-18080}
KINDS=${KINDS:-mixed mixed1 get1}
mkdir -p "$OUT/bin" "$OUT/data"
go build -o "$OUT/bin/safeguarding" ./cmd/safeguarding
go build -o "$OUT/bin/loadgen" ./cmd/loadgen
go build -o "$OUT/bin/datagen" ./cmd/datagen

if [ ! -s "$OUT/tokens.txt" ]; then
  "$OUT/bin/datagen" --size "$SIZE" --mongodb-database "$DB" --drop --tokens "$OUT/tokens.txt" | tee "$OUT/datagen.txt"
fi
token() { awk -v r="$1" '$1==r {print $NF}' "$OUT/tokens.txt" | head -1; }
flags=$(sed -n 's/.*loadgen flags for its COM and liaison: //p' "$OUT/datagen.txt")
# 16 COMs of 16 teams (datagen writes one a team; older token files have one in all).
for t in $(seq 2 16); do
  team=$(printf 'N01-T%02d' "$t")
  if ! grep -q "^com	$team " "$OUT/tokens.txt"; then
    tok=$("$OUT/bin/safeguarding" users add --mongodb-database "$DB" --role com --team "$team" \
      --name "Load COM $t" --email "load-com-$t@probation.example.org")
    printf 'com\t%s load-com-%s@probation.example.org\t%s\n' "$team" "$t" "$tok" >>"$OUT/tokens.txt"
  fi
done
coms=$(awk '$1=="com" {print $NF}' "$OUT/tokens.txt" | head -16 | paste -sd, -)

SAFEGUARDING_RATE_LIMIT=0 SAFEGUARDING_MAX_IN_FLIGHT_PER_USER=0 MONGODB_DATABASE=$DB SAFEGUARDING_DATA_DIR="$OUT/data" \
  SAFEGUARDING_ADDR=127.0.0.1:$PORT "$OUT/bin/safeguarding" serve >"$OUT/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q 'msg=listening' "$OUT/serve.log" && break; sleep 0.5; done
# The start-up sweep is a real run of the whole ladder: wait for it, its time is in the log.
for _ in $(seq 600); do grep -q 'msg="escalation run"' "$OUT/serve.log" && break; sleep 0.5; done
grep 'msg="escalation run"' "$OUT/serve.log" | head -1

load() {
  "$OUT/bin/loadgen" --url "http://127.0.0.1:$PORT" --liaison-token "$(token liaison)" \
    --mongodb-uri "$MONGODB_URI" --mongodb-database "$DB" --pid "$serve" --clean-up --json $flags "$@" || true
}
for i in $(seq "$RUNS"); do
  for k in $KINDS; do
    case $k in
    mixed) load --com-token "$coms" --clients 16 --requests 1200 --rounds 6 ;;
    mixed1) load --com-token "$(token com)" --clients 1 --requests 300 --rounds 6 ;;
    get1) load --com-token "$(token com)" --clients 1 --mix get=100 --requests 400 --rounds 4 ;;
    esac >"$OUT/$k-$i.json" 2>"$OUT/$k-$i.log"
  done
  # A dry run of the whole ladder over the open checks, through the API, as of now.
  s=$(date +%s.%N)
  curl -sf -X POST -H "Authorization: Bearer $(token admin)" -H 'Content-Type: application/json' \
    -d '{"dry_run": true}' "http://127.0.0.1:$PORT/api/v1/escalations/run" >"$OUT/dry-$i.json"
  echo "dry run $i: $(echo "$(date +%s.%N) - $s" | bc) s" | tee -a "$OUT/dry.txt"
done
