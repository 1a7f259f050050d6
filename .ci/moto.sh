# Sourced by the CI scripts that need an S3 server. `start_moto BUCKET` starts
# moto's server from the interoperability venv (.venv, installed from
# tests/interop/requirements.txt if missing) on a free loopback port, exports
# the AWS_* variables that point clients at it, and creates BUCKET;
# `stop_moto` stops it (call it from the script's EXIT trap). Its log is
# $moto_log.
moto_pid=""
start_moto() {
  local bucket=$1 venv=.venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  local port
  port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  moto_log=$(mktemp)
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$moto_log" 2>&1 &
  moto_pid=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true AWS_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  for _ in $(seq 100); do
    "$venv/bin/python" -c "import boto3; boto3.client('s3').create_bucket(Bucket='$bucket')" 2> /dev/null && return 0
    sleep 0.2
  done
  echo "moto's server did not start on port $port:" >&2
  cat "$moto_log" >&2
  return 1
}
stop_moto() {
  if [ -n "$moto_pid" ]; then
    kill "$moto_pid" 2> /dev/null || true
    wait "$moto_pid" 2> /dev/null || true
    rm -f "$moto_log"
  fi
}
