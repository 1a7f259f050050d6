#!/usr/bin/env bash
# Whole-run comparison of customer-events with tpchgen-cli (TPC-H lineitem, the
# speed reference) at scale, and with the Python prototype's approach
# (benches/python_baseline.py: one dict per event, pyarrow.Table.from_pylist).
#
#   benches/compare.sh          for each scale factor SF of SCALES (default 5 and 10):
#                               SF x EVENTS_PER_SF of our events (5M, 10M) against
#                               lineitem at SF (SF5, SF10), both to Parquet (snappy),
#                               plus ours to `--out null:` against tpchgen's
#                               `--stdout > /dev/null`, at 1 and 2 threads,
#                               alternating the tools, medians of RUNS runs;
#                               printed as Markdown and saved to benches/results/
#   benches/compare.sh --rss    peak RSS of ours at 2 threads for 1M, 10M, 100M rows
#   benches/compare.sh --faults a clean run against `--faults typical` (docs/faults.md)
#                               at FAULTS_ROWS events to Parquet on disk, alternating,
#                               at each thread count of THREADS: medians of RUNS runs
#                               and the ratio (faulty / clean) of wall, CPU and RSS
#
# Environment (to shrink a run):
#   SCALES         scale factors (default "5 10"; "1" for a quick look)
#   EVENTS_PER_SF  our events per scale factor (default 1000000)
#   THREADS        thread counts (default "1 2")
#   RUNS           runs per tool, scale and thread count (default 3)
#   PY_ROWS        rows of the Python baseline run (default 200000; 0 skips it)
#   RSS_ROWS       row counts of --rss (default "1000000 10000000 100000000")
#   FAULTS_ROWS    events of --faults (default 5000000)
#   NO_NULL=1      treat `--out null:` as unsupported (tests the fallbacks)
#
# Every run is timed with /usr/bin/time -f '%e %M %U %S' (wall seconds, peak RSS
# KiB, user and system CPU seconds: CPU s near wall s x threads means the threads
# really ran in parallel; on a busy machine they may not). Disk needs: lineitem
# SF10 is about 2.3 GB of Parquet, our 10M events about 2.8 GB, one at a time.
# Needs: cargo, python3, GNU time. Installs tpchgen-cli with `cargo install
# --locked` when it is not on PATH (several minutes, once; cached in ~/.cargo/bin).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/target/release/customer-events"
RESULTS_DIR="$ROOT/benches/results"
RUNS=${RUNS:-3}
SCALES=${SCALES:-"5 10"}
EVENTS_PER_SF=${EVENTS_PER_SF:-1000000}
THREADS=${THREADS:-"1 2"}
PY_ROWS=${PY_ROWS:-200000}
RSS_ROWS=${RSS_ROWS:-"1000000 10000000 100000000"}
FAULTS_ROWS=${FAULTS_ROWS:-5000000}
LINEITEM_COLS=16
MODE=compare

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
case "${1:-}" in
  "") ;;
  --rss) MODE=rss ;;
  --faults) MODE=faults ;;
  -h|--help) usage; exit 0 ;;
  *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: RUNS must be a positive integer" >&2; exit 2; }
[[ $EVENTS_PER_SF =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: EVENTS_PER_SF must be a positive integer" >&2; exit 2; }
[[ $PY_ROWS =~ ^[0-9]+$ ]] || { echo "compare.sh: PY_ROWS must be a number (0 skips the Python baseline)" >&2; exit 2; }
for sf in $SCALES; do
  [[ $sf =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: SCALES must be positive integers, not '$sf'" >&2; exit 2; }
done
for t in $THREADS; do
  [[ $t =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: THREADS must be positive integers, not '$t'" >&2; exit 2; }
done
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
  find "$1" -type f -name '*.parquet' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
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

# -------------------------------------------------------------- --faults mode
if [[ $MODE == faults ]]; then
  [[ $FAULTS_ROWS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: FAULTS_ROWS must be a positive integer" >&2; exit 2; }
  build_ours
  ts=$(date +%Y-%m-%d)
  out_md="$TMP/faults.md"
  {
    echo "## A clean run against --faults typical ($ts, $FAULTS_ROWS events, Parquet snappy on disk)"
    echo
    echo "Alternating runs, medians of $RUNS; the ratios are faulty / clean, measured in the same script run."
    echo
    echo "| threads | clean wall s | faulty wall s | wall ratio | clean CPU s | faulty CPU s | CPU ratio | clean RSS MiB | faulty RSS MiB | RSS ratio |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  } >"$out_md"
  for t in $THREADS; do
    : >"$TMP/faults-none" && : >"$TMP/faults-typical"
    for _ in $(seq "$RUNS"); do
      for f in none typical; do
        log "ours --rows $FAULTS_ROWS --threads $t --faults $f"
        rm -rf "$TMP/faults-out"
        run_timed /dev/null "$BIN" generate --rows "$FAULTS_ROWS" --threads "$t" --faults "$f" \
          --out "$TMP/faults-out" --quiet >>"$TMP/faults-$f"
      done
    done
    rm -rf "$TMP/faults-out"
    # Medians of wall, CPU (user + sys) and RSS of each.
    stats() {
      for col in 1 2 3; do
        awk '{ print $1, $3 + $4, $2 / 1024 }' "$1" | awk -v c="$col" '{ print $c }' | sort -g \
          | awk '{ v[NR] = $1 } END { printf "%s ", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
      done; }
    read -r cw cc cr <<<"$(stats "$TMP/faults-none")"
    read -r fw fc fr <<<"$(stats "$TMP/faults-typical")"
    awk -v t="$t" -v cw="$cw" -v fw="$fw" -v cc="$cc" -v fc="$fc" -v cr="$cr" -v fr="$fr" 'BEGIN {
      printf "| %d | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f | %.0f | %.0f | %.3f |\n",
        t, cw, fw, fw / cw, cc, fc, fc / cc, cr, fr, fr / cr }' >>"$out_md"
  done
  echo >>"$out_md"
  echo "Script time: $((SECONDS - START_SECONDS)) s." >>"$out_md"
  save_result "$out_md" "faults-$ts"
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
TPCH_ARGS+=(--tables lineitem)
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

# Rows of the Parquet files under DIR, from their footers.
parquet_rows() {
  "$PY" - "$1" <<'PYEOF'
import pathlib, sys
import pyarrow.parquet as pq
print(sum(pq.ParquetFile(p).metadata.num_rows for p in pathlib.Path(sys.argv[1]).rglob("*.parquet")))
PYEOF
}

tpch_disk() { # THREADS SF -> "wall rss user sys"
  rm -rf "$TMP/tpch"
  run_timed /dev/null tpchgen-cli "${TPCH_ARGS[@]}" --scale-factor "$2" --num-threads "$1" --output-dir "$TMP/tpch"
}
tpch_stdout() { # THREADS SF
  run_timed /dev/null tpchgen-cli "${TPCH_ARGS[@]}" --scale-factor "$2" --num-threads "$1" --stdout
}
# Ours without --quiet: the summary line (on stderr, not a terminal, so no
# progress bar) gives the exact cell count.
ours_disk() { # THREADS ROWS
  rm -rf "$TMP/ours"
  run_timed /dev/null "$BIN" generate --rows "$2" --threads "$1" --out "$TMP/ours" --overwrite --compression snappy
}
ours_null() { # THREADS ROWS
  run_timed /dev/null "$BIN" generate --rows "$2" --threads "$1" --out null: --overwrite --compression snappy
}

probe_null

# Timed runs, alternating between the tools. Per scale: the row and cell
# counts, and the output bytes, from the first runs.
RESULTS="$TMP/results.tsv"   # key  scale  threads  wall  rss_kib  cpu_s
: >"$RESULTS"
declare -A LINEITEM_ROWS OURS_ROWS OURS_CELLS LINEITEM_BYTES OURS_BYTES
record() { # KEY SF THREADS "wall rss user sys"
  local wall rss user sys cpu
  read -r wall rss user sys <<<"$4"
  [[ -n ${sys:-} ]] || { log "no timing for $1"; exit 1; }
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$wall" "$rss" "$cpu" >>"$RESULTS"
  log "  $1 SF$2 threads=$3: ${wall}s wall, ${cpu}s CPU, $((rss / 1024)) MiB"
}
for sf in $SCALES; do
  rows=$((sf * EVENTS_PER_SF))
  OURS_ROWS[$sf]=$rows
  for threads in $THREADS; do
    for ((run = 1; run <= RUNS; run++)); do
      log "SF$sf ($rows events) threads=$threads run $run/$RUNS"
      record tpch_disk "$sf" "$threads" "$(tpch_disk "$threads" "$sf")"
      if [[ -z ${LINEITEM_ROWS[$sf]:-} ]]; then
        LINEITEM_ROWS[$sf]=$(parquet_rows "$TMP/tpch")
        LINEITEM_BYTES[$sf]=$(parquet_bytes "$TMP/tpch")
      fi
      rm -rf "$TMP/tpch"
      if ((TPCH_STDOUT)); then record tpch_stdout "$sf" "$threads" "$(tpch_stdout "$threads" "$sf")"; fi
      record ours_disk "$sf" "$threads" "$(ours_disk "$threads" "$rows")"
      OURS_CELLS[$sf]=$(summary_cells "$TMP/stderr")
      OURS_BYTES[$sf]=$(parquet_bytes "$TMP/ours")
      rm -rf "$TMP/ours"
      if ((NULL_OK)); then record ours_null "$sf" "$threads" "$(ours_null "$threads" "$rows")"; fi
    done
  done
done
PY_JSON=()
if ((PY_ROWS > 0)); then
  log "Python baseline, $PY_ROWS rows (single-threaded)"
  record python 0 1 "$(run_timed "$TMP/py.json" "$PY" "$ROOT/benches/python_baseline.py" \
    --rows "$PY_ROWS" --out "$TMP/py.parquet")"
  PY_BYTES=$(stat -c %s "$TMP/py.parquet")
  PY_JSON+=("$(tail -n 1 "$TMP/py.json")")
  rm -f "$TMP/py.parquet"
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# Medians and the table
median() { # KEY SF THREADS FIELD(4=wall,5=rss,6=cpu)
  awk -F'\t' -v k="$1" -v s="$2" -v t="$3" -v f="$4" '$1 == k && $2 == s && $3 == t { print $f }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# row() prints one table row and fills EPS[key,sf,threads] (events/s) and CPS (cells/s).
declare -A EPS CPS
row() { # LABEL KEY SF THREADS ROWS CELLS BYTES BYTES_LABEL
  local label=$1 key=$2 sf=$3 t=$4 rows=$5 cells=$6 bytes=$7 bytes_label=$8 wall rss cpu n
  wall=$(median "$key" "$sf" "$t" 4)
  rss=$(median "$key" "$sf" "$t" 5)
  cpu=$(median "$key" "$sf" "$t" 6)
  [[ -n $wall ]] || return 0
  n=$(awk -F'\t' -v k="$key" -v s="$sf" -v t="$t" '$1 == k && $2 == s && $3 == t' "$RESULTS" | wc -l)
  EPS[$key,$sf,$t]=$(awk -v r="$rows" -v w="$wall" 'BEGIN { printf "%.0f", r / (w > 0 ? w : 0.01) }')
  if [[ -n $cells ]]; then
    CPS[$key,$sf,$t]=$(awk -v c="$cells" -v w="$wall" 'BEGIN { printf "%.0f", c / (w > 0 ? w : 0.01) }')
  fi
  awk -v label="$label" -v t="$t" -v n="$n" -v rows="$rows" -v cells="$cells" -v w="$wall" -v rss="$rss" -v cpu="$cpu" \
      -v bytes="$bytes" -v bl="$bytes_label" '
    function human(x) { return x >= 1e6 ? sprintf("%.2f M", x / 1e6) : sprintf("%.1f k", x / 1e3) }
    BEGIN {
      w1 = (w > 0 ? w : 0.01)
      c = (cells == "" ? "—" : human(cells / w1))
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
{
  echo "## customer-events vs tpchgen-cli at scale ($TS)"
  echo
  echo "Medians of $RUNS run(s) per tool, scale and thread count, the tools alternating. Wall time, peak RSS and CPU time (user + system) from \`/usr/bin/time -f '%e %M %U %S'\`, whole process (start-up, generation, encoding, writing). Rates are per wall second."
  echo
  echo "| tool | threads | runs | rows | wall s | CPU s | cells/s | rows/s | output MB | output MB/s | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for sf in $SCALES; do
    lrows=${LINEITEM_ROWS[$sf]}
    for t in $THREADS; do
      row "tpchgen-cli lineitem SF$sf → Parquet" tpch_disk "$sf" "$t" "$lrows" "$((lrows * LINEITEM_COLS))" "${LINEITEM_BYTES[$sf]}" ""
      if ((TPCH_STDOUT)); then
        row "tpchgen-cli lineitem SF$sf → --stdout > /dev/null" tpch_stdout "$sf" "$t" "$lrows" "$((lrows * LINEITEM_COLS))" "" ""
      fi
      row "customer-events ${OURS_ROWS[$sf]} → Parquet" ours_disk "$sf" "$t" "${OURS_ROWS[$sf]}" "${OURS_CELLS[$sf]}" "${OURS_BYTES[$sf]}" ""
      if ((NULL_OK)); then
        row "customer-events ${OURS_ROWS[$sf]} → \`null:\`" ours_null "$sf" "$t" "${OURS_ROWS[$sf]}" "${OURS_CELLS[$sf]}" "${OURS_BYTES[$sf]}" " (encoded)"
      fi
    done
  done
  if ((PY_ROWS > 0)); then
    row "Python baseline (1 thread) → Parquet" python 0 1 "$PY_ROWS" "" "$PY_BYTES" ""
  fi
  echo
  echo "### Ratios (cells/s)"
  header="| ratio |"; rule="|---|"
  for t in $THREADS; do header+=" $t thread(s) |"; rule+="---:|"; done
  for sf in $SCALES; do
    echo
    echo "SF$sf, ${OURS_ROWS[$sf]} events:"
    echo
    echo "$header"; echo "$rule"
    line="| ours → Parquet / tpchgen-cli → Parquet |"
    for t in $THREADS; do line+=" $(ratio "${CPS[ours_disk,$sf,$t]:-}" "${CPS[tpch_disk,$sf,$t]:-}") |"; done
    echo "$line"
    if ((NULL_OK && TPCH_STDOUT)); then
      line="| ours → \`null:\` / tpchgen-cli → /dev/null |"
      for t in $THREADS; do line+=" $(ratio "${CPS[ours_null,$sf,$t]:-}" "${CPS[tpch_stdout,$sf,$t]:-}") |"; done
      echo "$line"
    fi
    set -- $THREADS
    if (($# >= 2)); then
      first=$1; last=${!#}
      echo
      echo "Scaling, $last threads / $first: ours → Parquet $(ratio "${EPS[ours_disk,$sf,$last]:-}" "${EPS[ours_disk,$sf,$first]:-}")$( ((NULL_OK)) && echo ", ours → \`null:\` $(ratio "${EPS[ours_null,$sf,$last]:-}" "${EPS[ours_null,$sf,$first]:-}")"), tpchgen-cli → Parquet $(ratio "${EPS[tpch_disk,$sf,$last]:-}" "${EPS[tpch_disk,$sf,$first]:-}")."
    fi
  done
  echo
  echo "### Notes"
  echo
  echo "- Cells: tpchgen-cli lineitem = rows (read from its files' footers) × $LINEITEM_COLS columns. Ours: exact, from our summary line (every scalar of every struct, a null struct's fields too, and every field of every list element)."
  echo "- Our events per scale factor: $EVENTS_PER_SF. Output bytes: $(for sf in $SCALES; do printf 'SF%s lineitem %s, ours %s; ' "$sf" "${LINEITEM_BYTES[$sf]}" "${OURS_BYTES[$sf]}"; done)both snappy."
  if ((NULL_OK)); then
    echo "- \`null:\` generates and encodes everything but writes nothing; tpchgen-cli's nearest equivalent is \`--stdout > /dev/null\` (its text format, not Parquet)."
  else
    echo "- \`null:\` rows skipped: this build of customer-events does not support \`--out null:\`."
  fi
  if ((PY_ROWS > 0)); then
    echo "- Python baseline: $PY_ROWS events, one dict per event with \`random\`, \`pyarrow.Table.from_pylist\` + \`write_table(compression=\"snappy\")\`; its wall time includes interpreter start and the pyarrow import. Its own JSON lines: ${PY_JSON[*]}"
  fi
  echo "- tpchgen-cli flags: ${TPCH_ARGS[*]} --scale-factor SF --num-threads N --output-dir DIR; via $TPCH_NOTE."
  echo "- Versions: $TPCH_VERSION; $OURS_VERSION at $GIT_REV; Python $PY_VERSION, pyarrow $PYARROW_VERSION."
  echo "- Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average at start $LOAD_START, at end $LOAD_END (a shared machine: other jobs skew the numbers)."
  echo "- Script time: $((SECONDS - START_SECONDS)) s (SCALES=\"$SCALES\" EVENTS_PER_SF=$EVENTS_PER_SF THREADS=\"$THREADS\" RUNS=$RUNS)."
} >"$MD"

save_result "$MD" "compare-$TS"
