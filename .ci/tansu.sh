# Sourced by the CI scripts that need a Kafka broker. `install_tansu`
# installs tansu (a Kafka-compatible broker) from crates.io, with its
# in-memory storage engine (the `dynostore` feature), into a cache outside
# the clone ($CUSTOMER_EVENTS_CACHE, default ~/.cache/customer-events), so a
# warm machine does not build it again; `start_tansu` starts it on a free
# loopback port and exports its address as $KAFKA_BROKER; `stop_tansu` stops
# it (call it from the script's EXIT trap). Its log is $tansu_log.
tansu_version=0.6.0
tansu_root=${CUSTOMER_EVENTS_CACHE:-$HOME/.cache/customer-events}/tansu-$tansu_version
tansu_pid=""
install_tansu() {
  if [ ! -x "$tansu_root/bin/tansu" ]; then
    cargo install tansu --version "$tansu_version" --locked --features dynostore \
      --root "$tansu_root" --quiet
  fi
}
start_tansu() {
  install_tansu
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  tansu_log=$(mktemp)
  "$tansu_root/bin/tansu" broker --storage-engine memory://tansu/ \
    --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    > "$tansu_log" 2>&1 &
  tansu_pid=$!
  export KAFKA_BROKER="127.0.0.1:$port"
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2> /dev/null && return 0
    sleep 0.2
  done
  echo "tansu did not start on port $port:" >&2
  cat "$tansu_log" >&2
  return 1
}
stop_tansu() {
  if [ -n "$tansu_pid" ]; then
    kill "$tansu_pid" 2> /dev/null || true
    wait "$tansu_pid" 2> /dev/null || true
    rm -f "$tansu_log"
  fi
}
