#!/usr/bin/env bash
# Whole-run comparison of customer-events with tpchgen-cli (TPC-H lineitem at
# scale factor 1, the speed reference) and with the Python prototype's approach
# (benches/python_baseline.py: one dict per event, pyarrow.Table.from_pylist).
#
#   benches/compare.sh          medians of RUNS runs (default 3) at 1 and 2 threads,
#                               printed as Markdown and saved to benches/results/
#   benches/compare.sh --rss    peak RSS of ours at 2 threads for 1M, 10M, 100M rows
#
# Environment:
#   RUNS       runs per tool and thread count (default 3; the Python baseline runs once)
#   OURS_ROWS  our rows per run (default: lineitem SF1's Parquet bytes / our bytes per event)
#   CAL_ROWS   rows of the run that measures our bytes per event (default 1000000)
#   PY_ROWS    rows of the Python baseline run (default 200000)
#   RSS_ROWS   row counts of --rss (default "1000000 10000000 100000000")
#   NO_NULL=1  treat `--out null:` as unsupported (tests the fallbacks)
#
# Every run is timed with /usr/bin/time -f '%e %M %U %S' (wall seconds, peak RSS
# KiB, user and system CPU seconds: CPU s near wall s × threads means the threads
# really ran in parallel; on a busy machine they may not).
# Needs: cargo, python3, GNU time. Installs tpchgen-cli with `cargo install
# --locked` when it is not on PATH (several minutes, once; cached in ~/.cargo/bin).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/target/release/customer-events"
RESULTS_DIR="$ROOT/benches/results"
RUNS=${RUNS:-3}
CAL_ROWS=${CAL_ROWS:-1000000}
PY_ROWS=${PY_ROWS:-200000}
RSS_ROWS=${RSS_ROWS:-"1000000 10000000 100000000"}
LINEITEM_ROWS=6001215   # lineitem rows at scale factor 1
LINEITEM_COLS=16
CELLS_ESTIMATE=62       # ours per event when the summary prints no cell count
MODE=compare

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
case "${1:-}" in
  "") ;;
  --rss) MODE=rss ;;
  -h|--help) usage; exit 0 ;;
  *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: RUNS must be a positive integer" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "compare.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

START_SECONDS=$SECONDS
TMP=$(mktemp -d "${TMPDIR:-/tmp}/customer-events-compare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/cwd"

log() { echo "compare: $*" >&2; }

# save_result FILE NAME: copies FILE to benches/results/NAME.md (a time suffix
# when that exists already) and prints it.
save_result() {
  local dest="$RESULTS_DIR/$2.md"
  mkdir -p "$RESULTS_DIR"
  [[ ! -e $dest ]] || dest="$RESULTS_DIR/$2-$(date +%H%M%S).md"
  cp "$1" "$dest"
  cat "$1"
  log "saved $dest"
}

# run_timed OUTFILE CMD... : runs CMD in $TMP/cwd (so a stray relative path such
# as an unsupported `null:` lands in the temp dir) with stdout to OUTFILE and
# stderr to $TMP/stderr; prints "WALL_S RSS_KIB USER_S SYS_S". Fails with the command.
run_timed() {
  local out=$1; shift
  if ! (cd "$TMP/cwd" && /usr/bin/time -o "$TMP/time" -f '%e %M %U %S' "$@" >"$out" 2>"$TMP/stderr"); then
    log "failed: $*"
    tail -n 20 "$TMP/stderr" >&2 || true
    return 1
  fi
  tail -n 1 "$TMP/time"
}

parquet_bytes() {
  find "$1" -type f -name '*.parquet' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}

# The exact cell count from our summary line ("... (7,485,186 cells) ..."), or nothing.
summary_cells() {
  sed -n 's/.*(\([0-9,_]*\) cells).*/\1/p' "$1" | tr -d ',_' | tail -n 1
}

build_ours() {
  log "building our release binary (cargo build --release)"
  (cd "$ROOT" && cargo build --release) >&2
  [[ -x $BIN ]] || { log "no binary at $BIN"; exit 1; }
}

# Whether our --out null: works: exit 0 and nothing created in the working dir.
NULL_OK=0
probe_null() {
  if [[ ${NO_NULL:-0} == 1 ]]; then
    log "NO_NULL=1: not using --out null:"
    return 0
  fi
  rm -rf "$TMP/cwd" && mkdir -p "$TMP/cwd"
  if (cd "$TMP/cwd" && "$BIN" generate --rows 10000 --threads 1 --out null: --overwrite --quiet \
        --compression snappy) >/dev/null 2>"$TMP/null-probe.err" \
     && [[ -z $(ls -A "$TMP/cwd") ]]; then
    NULL_OK=1
  else
    NULL_OK=0
    log "our --out null: is not supported by this build; skipping the null: rows ($(head -c 200 "$TMP/null-probe.err" | tr '\n' ' '))"
  fi
  rm -rf "$TMP/cwd" && mkdir -p "$TMP/cwd"
}

# ----------------------------------------------------------------- --rss mode
if [[ $MODE == rss ]]; then
  build_ours
  probe_null
  ts=$(date +%Y-%m-%d)
  out_md="$TMP/rss.md"
  {
    echo "## customer-events peak RSS by row count ($ts, 2 threads, snappy)"
    echo
    if ((NULL_OK)); then
      echo "Output: \`--out null:\` (generated and encoded, not written)."
    else
      echo "Output: a temporary folder (\`null:\` unsupported by this build), deleted between runs."
    fi
    echo
    echo "| rows | wall s | CPU s | events/s | peak RSS MiB |"
    echo "|---:|---:|---:|---:|---:|"
  } >"$out_md"
  for rows in $RSS_ROWS; do
    if ((NULL_OK)); then
      target=null:
    else
      target="$TMP/rss-out"
      rm -rf "$target"
      # ~270 bytes per event on disk; ask for 400 (40 GB per 100M rows) of headroom.
      need=$((rows * 400))
      avail=$(df -B1 --output=avail "$TMP" | tail -n 1 | tr -d ' ')
      if ((avail < need)); then
        log "skipping $rows rows: $((avail / 1000000000)) GB free, want $((need / 1000000000)) GB"
        echo "| $rows | skipped: $((avail / 1000000000)) GB free, needs $((need / 1000000000)) GB | | | |" >>"$out_md"
        continue
      fi
    fi
    log "ours --rows $rows --threads 2 --out $target"
    res=$(run_timed /dev/null "$BIN" generate --rows "$rows" --threads 2 --out "$target" \
      --overwrite --quiet --compression snappy)
    read -r wall rss user sys <<<"$res"
    if [[ $target != null: ]]; then rm -rf "$target"; fi
    awk -v r="$rows" -v w="$wall" -v m="$rss" -v u="$user" -v s="$sys" \
      'BEGIN { printf "| %d | %.2f | %.2f | %.0f | %.1f |\n", r, w, u + s, r / (w > 0 ? w : 1e-9), m / 1024 }' >>"$out_md"
  done
  echo >>"$out_md"
  echo "Script time: $((SECONDS - START_SECONDS)) s." >>"$out_md"
  save_result "$out_md" "rss-$ts"
  exit 0
fi

# ------------------------------------------------------------- compare mode
# 1. tpchgen-cli
if ! command -v tpchgen-cli >/dev/null 2>&1; then
  if [[ -x $HOME/.cargo/bin/tpchgen-cli ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    log "installing tpchgen-cli (cargo install tpchgen-cli --locked; takes several minutes)"
    cargo install tpchgen-cli --locked >&2
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
TPCH_VERSION=$(tpchgen-cli --version 2>/dev/null || echo "tpchgen-cli (unknown version)")

# The flags moved between versions: 4.x has format subcommands
# (`tpchgen-cli parquet --compression SNAPPY`), 1.x-3.x use
# `--format parquet --parquet-compression SNAPPY`. Read the installed help.
TPCH_HELP_ROOT=$(tpchgen-cli --help 2>&1 || true)
TPCH_HELP_PARQUET=$(tpchgen-cli parquet --help 2>&1 || true)
TPCH_ARGS=()
TPCH_NOTE=""
if [[ $TPCH_HELP_PARQUET == *"--compression"* ]]; then
  TPCH_ARGS=(parquet --compression SNAPPY)
  TPCH_NOTE="\`tpchgen-cli parquet --compression SNAPPY\` (format subcommand of this version; older versions take \`--format parquet --parquet-compression\`)"
  TPCH_HELP=$TPCH_HELP_PARQUET
elif [[ $TPCH_HELP_ROOT == *"--parquet-compression"* ]]; then
  TPCH_ARGS=(--format parquet --parquet-compression SNAPPY)
  TPCH_NOTE="\`--format parquet --parquet-compression SNAPPY\`"
  TPCH_HELP=$TPCH_HELP_ROOT
else
  log "cannot find the Parquet compression flag in tpchgen-cli --help; see $TPCH_VERSION's help"
  exit 1
fi
TPCH_ARGS+=(--scale-factor 1 --tables lineitem)
[[ $TPCH_HELP == *"--num-threads"* ]] || { log "tpchgen-cli has no --num-threads"; exit 1; }
if [[ $TPCH_HELP == *"--quiet"* ]]; then TPCH_ARGS+=(--quiet); fi
TPCH_STDOUT=0
if [[ $TPCH_HELP == *"--stdout"* ]]; then TPCH_STDOUT=1; fi

# 2. our binary
build_ours
OURS_VERSION=$("$BIN" --version 2>/dev/null || echo customer-events)
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then
  GIT_REV="$GIT_REV + uncommitted changes"
fi

# 3. Python venv with pyarrow
PY="$ROOT/.venv/bin/python"
if [[ ! -x $PY ]]; then
  log "creating $ROOT/.venv"
  python3 -m venv "$ROOT/.venv" >&2
fi
if ! "$PY" -c 'import pyarrow' 2>/dev/null; then
  log "installing pyarrow into .venv"
  "$ROOT/.venv/bin/pip" install --quiet pyarrow >&2
fi
PYARROW_VERSION=$("$PY" -c 'import pyarrow; print(pyarrow.__version__)')
PY_VERSION=$("$PY" -c 'import sys; print(sys.version.split()[0])')

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

tpch_disk() { # THREADS -> "wall rss"
  rm -rf "$TMP/tpch"
  run_timed /dev/null tpchgen-cli "${TPCH_ARGS[@]}" --num-threads "$1" --output-dir "$TMP/tpch"
}
tpch_stdout() {
  run_timed /dev/null tpchgen-cli "${TPCH_ARGS[@]}" --num-threads "$1" --stdout
}
ours_disk() { # THREADS ROWS [--quiet]
  rm -rf "$TMP/ours"
  run_timed /dev/null "$BIN" generate --rows "$2" --threads "$1" --out "$TMP/ours" --overwrite \
    ${3:+"$3"} --compression snappy
}
ours_null() {
  run_timed /dev/null "$BIN" generate --rows "$2" --threads "$1" --out null: --overwrite \
    ${3:+"$3"} --compression snappy
}

# 4. Calibration (also warms the page cache and the binaries)
log "calibration: tpchgen-cli lineitem SF1 (2 threads) for its Parquet size"
tpch_disk 2 >/dev/null
LINEITEM_BYTES=$(parquet_bytes "$TMP/tpch")
((LINEITEM_BYTES > 0)) || { log "tpchgen-cli wrote no Parquet under $TMP/tpch"; exit 1; }
rm -rf "$TMP/tpch"

log "calibration: ours --rows $CAL_ROWS (2 threads) for our bytes per event"
ours_disk 2 "$CAL_ROWS" >/dev/null
CAL_BYTES=$(parquet_bytes "$TMP/ours")
rm -rf "$TMP/ours"
BYTES_PER_EVENT=$(awk -v b="$CAL_BYTES" -v r="$CAL_ROWS" 'BEGIN { printf "%.1f", b / r }')
if [[ -z ${OURS_ROWS:-} ]]; then
  OURS_ROWS=$(awk -v b="$LINEITEM_BYTES" -v e="$BYTES_PER_EVENT" 'BEGIN { printf "%d", b / e + 0.5 }')
  OURS_ROWS_NOTE="lineitem's $LINEITEM_BYTES bytes / $BYTES_PER_EVENT bytes per event (measured on $CAL_ROWS rows)"
else
  OURS_ROWS_NOTE="set by OURS_ROWS"
fi
log "our rows per run: $OURS_ROWS ($OURS_ROWS_NOTE)"

probe_null

# The cell count: the summary line of a run at OURS_ROWS (a warm-up run without --quiet).
log "warm-up: ours --rows $OURS_ROWS (2 threads, with summary for the cell count)"
if ((NULL_OK)); then ours_null 2 "$OURS_ROWS" >/dev/null; else ours_disk 2 "$OURS_ROWS" >/dev/null; fi
OURS_CELLS=$(summary_cells "$TMP/stderr")
rm -rf "$TMP/ours"
if [[ -n $OURS_CELLS ]]; then
  CELLS_NOTE="exact, from our summary line: $OURS_CELLS cells for $OURS_ROWS events ($(awk -v c="$OURS_CELLS" -v r="$OURS_ROWS" 'BEGIN { printf "%.2f", c / r }') per event: 35 scalar leaves incl. the null event_details fields, plus 1 per connected service, 8 per user action, 4 per recommendation, 4 per search)"
  CELLS_EST=""
else
  OURS_CELLS=$((OURS_ROWS * CELLS_ESTIMATE))
  CELLS_NOTE="ESTIMATE: our summary prints no cell count, so cells = events × $CELLS_ESTIMATE (35 scalar leaves + ~1.5 connected services + ~1.8 actions × 8 + ~3 recommendations × 4 + ~3 searches × 4)"
  CELLS_EST=" (est.)"
fi

# 5. Timed runs, alternating between the tools
RESULTS="$TMP/results.tsv"   # key  threads  wall  rss_kib  cpu_s
: >"$RESULTS"
record() { # KEY THREADS "wall rss user sys"
  local wall rss user sys cpu
  read -r wall rss user sys <<<"$3"
  [[ -n ${sys:-} ]] || { log "no timing for $1"; exit 1; }
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$wall" "$rss" "$cpu" >>"$RESULTS"
  log "  $1 threads=$2: ${wall}s wall, ${cpu}s CPU, $((rss / 1024)) MiB"
}
PY_JSON=()
for threads in 1 2; do
  for ((run = 1; run <= RUNS; run++)); do
    log "threads=$threads run $run/$RUNS"
    record tpch_disk "$threads" "$(tpch_disk "$threads")"
    if ((TPCH_STDOUT)); then record tpch_stdout "$threads" "$(tpch_stdout "$threads")"; fi
    record ours_disk "$threads" "$(ours_disk "$threads" "$OURS_ROWS" --quiet)"
    OURS_BYTES=$(parquet_bytes "$TMP/ours")
    rm -rf "$TMP/ours"
    if ((NULL_OK)); then record ours_null "$threads" "$(ours_null "$threads" "$OURS_ROWS" --quiet)"; fi
  done
  log "threads=$threads: Python baseline, $PY_ROWS rows (single-threaded)"
  record python "$threads" "$(run_timed "$TMP/py.json" "$PY" "$ROOT/benches/python_baseline.py" \
    --rows "$PY_ROWS" --out "$TMP/py.parquet")"
  PY_BYTES=$(stat -c %s "$TMP/py.parquet")
  PY_JSON+=("$(tail -n 1 "$TMP/py.json")")
  rm -f "$TMP/py.parquet"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# 6. Medians and the table
median() { # KEY THREADS FIELD(3=wall,4=rss,5=cpu)
  awk -F'\t' -v k="$1" -v t="$2" -v f="$3" '$1 == k && $2 == t { print $f }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# row() prints one table row and fills EPS[key,threads] (events/s) and CPS (cells/s).
declare -A EPS CPS
row() { # LABEL KEY THREADS ROWS CELLS BYTES BYTES_LABEL
  local label=$1 key=$2 t=$3 rows=$4 cells=$5 bytes=$6 bytes_label=$7 wall rss cpu n
  wall=$(median "$key" "$t" 3)
  rss=$(median "$key" "$t" 4)
  cpu=$(median "$key" "$t" 5)
  [[ -n $wall ]] || return 0
  n=$(awk -F'\t' -v k="$key" -v t="$t" '$1 == k && $2 == t' "$RESULTS" | wc -l)
  EPS[$key,$t]=$(awk -v r="$rows" -v w="$wall" 'BEGIN { printf "%.0f", r / (w > 0 ? w : 0.01) }')
  if [[ -n $cells ]]; then
    CPS[$key,$t]=$(awk -v c="$cells" -v w="$wall" 'BEGIN { printf "%.0f", c / (w > 0 ? w : 0.01) }')
  fi
  awk -v label="$label" -v t="$t" -v n="$n" -v rows="$rows" -v cells="$cells" -v w="$wall" -v rss="$rss" -v cpu="$cpu" \
      -v bytes="$bytes" -v bl="$bytes_label" -v est="$CELLS_EST" -v key="$key" '
    function human(x) { return x >= 1e6 ? sprintf("%.2f M", x / 1e6) : sprintf("%.1f k", x / 1e3) }
    BEGIN {
      w1 = (w > 0 ? w : 0.01)
      c = (cells == "" ? "—" : human(cells / w1) (key ~ /^ours/ ? est : ""))
      mb = (bytes == "" ? "—" : sprintf("%.1f%s", bytes / 1e6, bl))
      mbs = (bytes == "" ? "—" : sprintf("%.1f", bytes / 1e6 / w1))
      printf "| %s | %s | %d | %s | %.2f | %.2f | %s | %s | %s | %s | %.0f |\n",
        label, t, n, rows, w, cpu, c, human(rows / w1), mb, mbs, rss / 1024
    }'
}
ratio() { # A B -> A/B formatted, or n/a
  awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f×", a / b }'
}

TS=$(date +%Y-%m-%d)
MD="$TMP/compare.md"
LINEITEM_CELLS=$((LINEITEM_ROWS * LINEITEM_COLS))
{
  echo "## customer-events vs tpchgen-cli vs the Python baseline ($TS)"
  echo
  echo "Medians of $RUNS run(s) per tool and thread count (the Python baseline: 1 run per thread count; it is single-threaded)."
  echo "Wall time, peak RSS and CPU time (user + system) from \`/usr/bin/time -f '%e %M %U %S'\`, whole process (start-up, generation, encoding, writing). Rates are per wall second."
  echo
  echo "| tool | threads | runs | rows (events) | wall s | CPU s | cells/s | events/s (rows/s) | output MB | output MB/s | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in 1 2; do
    row "tpchgen-cli lineitem SF1 → Parquet" tpch_disk "$t" "$LINEITEM_ROWS" "$LINEITEM_CELLS" "$LINEITEM_BYTES" ""
    if ((TPCH_STDOUT)); then
      row "tpchgen-cli lineitem SF1 → --stdout > /dev/null" tpch_stdout "$t" "$LINEITEM_ROWS" "$LINEITEM_CELLS" "$LINEITEM_BYTES" " (encoded)"
    fi
    row "customer-events → Parquet" ours_disk "$t" "$OURS_ROWS" "$OURS_CELLS" "$OURS_BYTES" ""
    if ((NULL_OK)); then
      row "customer-events → \`null:\`" ours_null "$t" "$OURS_ROWS" "$OURS_CELLS" "$OURS_BYTES" " (encoded)"
    else
      echo "| customer-events → \`null:\` | $t | 0 | skipped: \`--out null:\` unsupported by this build | | | | | | | |"
    fi
    row "Python baseline (1 thread) → Parquet" python "$t" "$PY_ROWS" "" "$PY_BYTES" ""
  done
  echo
  echo "### Ratios"
  echo
  echo "| ratio | 1 thread | 2 threads |"
  echo "|---|---:|---:|"
  echo "| cells/s, ours → Parquet / tpchgen-cli → Parquet | $(ratio "${CPS[ours_disk,1]:-}" "${CPS[tpch_disk,1]:-}") | $(ratio "${CPS[ours_disk,2]:-}" "${CPS[tpch_disk,2]:-}") |"
  if ((NULL_OK && TPCH_STDOUT)); then
    echo "| cells/s, ours → \`null:\` / tpchgen-cli → /dev/null | $(ratio "${CPS[ours_null,1]:-}" "${CPS[tpch_stdout,1]:-}") | $(ratio "${CPS[ours_null,2]:-}" "${CPS[tpch_stdout,2]:-}") |"
  fi
  if ((NULL_OK)); then
    echo "| cells/s, ours → \`null:\` / tpchgen-cli → Parquet | $(ratio "${CPS[ours_null,1]:-}" "${CPS[tpch_disk,1]:-}") | $(ratio "${CPS[ours_null,2]:-}" "${CPS[tpch_disk,2]:-}") |"
  fi
  echo "| events/s, ours → Parquet / Python baseline | $(ratio "${EPS[ours_disk,1]:-}" "${EPS[python,1]:-}") | $(ratio "${EPS[ours_disk,2]:-}" "${EPS[python,2]:-}") |"
  echo
  echo "| scaling, 2 threads / 1 thread (events/s) | |"
  echo "|---|---:|"
  echo "| customer-events → Parquet | $(ratio "${EPS[ours_disk,2]:-}" "${EPS[ours_disk,1]:-}") |"
  if ((NULL_OK)); then echo "| customer-events → \`null:\` | $(ratio "${EPS[ours_null,2]:-}" "${EPS[ours_null,1]:-}") |"; fi
  echo "| tpchgen-cli → Parquet (reference) | $(ratio "${EPS[tpch_disk,2]:-}" "${EPS[tpch_disk,1]:-}") |"
  echo
  echo "### Notes"
  echo
  echo "- Cells: tpchgen-cli lineitem = $LINEITEM_ROWS rows × $LINEITEM_COLS columns. Ours: $CELLS_NOTE."
  echo "- Our rows per run: $OURS_ROWS, so our Parquet size is comparable to lineitem SF1's ($OURS_ROWS_NOTE). Output: ours $OURS_BYTES bytes, lineitem $LINEITEM_BYTES bytes, both snappy."
  if ((NULL_OK)); then
    echo "- \`null:\` generates and encodes everything but writes nothing; its MB and MB/s are the encoded bytes (same as the disk run), not written bytes. tpchgen-cli's nearest equivalent is \`--stdout > /dev/null\`."
  else
    echo "- \`null:\` rows skipped: this build of customer-events does not support \`--out null:\` yet."
  fi
  echo "- Python baseline: $PY_ROWS events, one dict per event with \`random\` (no Faker, which would be slower), \`pyarrow.Table.from_pylist\` + \`write_table(compression=\"snappy\")\`; its wall time includes interpreter start and the pyarrow import. Its own JSON lines (timed inside Python: dicts + from_pylist + write_table, no start-up): ${PY_JSON[*]}"
  echo "- tpchgen-cli flags: ${TPCH_ARGS[*]} --num-threads N --output-dir DIR; via $TPCH_NOTE."
  echo "- Versions: $TPCH_VERSION; $OURS_VERSION at $GIT_REV; Python $PY_VERSION, pyarrow $PYARROW_VERSION."
  echo "- Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average at start $LOAD_START, at end $LOAD_END (a shared machine: other jobs skew the numbers)."
  echo "- Script time: $((SECONDS - START_SECONDS)) s (RUNS=$RUNS)."
} >"$MD"

save_result "$MD" "compare-$TS"
