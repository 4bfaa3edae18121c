#!/usr/bin/env bash
# NATS with JetStream on 127.0.0.1:4222 for the integration tests and benchmarks. Idempotent and quick
# when a server is already listening; otherwise installs the Debian nats-server package when missing
# and starts it in the background (JetStream store in /var/lib/nats-server, log /var/log/nats-server.log).
set -euo pipefail
host=127.0.0.1
port=4222

listening() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if listening; then
  echo "test setup: NATS already listening on $host:$port"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  echo "test setup: installing nats-server (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nats-server >/dev/null
fi
bin=$(command -v nats-server || echo /usr/sbin/nats-server)

$sudo mkdir -p /var/lib/nats-server
$sudo start-stop-daemon --start --oknodo --background --exec "$bin" -- \
  -a "$host" -p "$port" -js -sd /var/lib/nats-server -l /var/log/nats-server.log

for _ in $(seq 1 50); do
  if listening; then
    echo "test setup: NATS started on $host:$port (JetStream on)"
    exit 0
  fi
  sleep 0.2
done
echo "test setup: nats-server did not start listening on $host:$port; see /var/log/nats-server.log" >&2
exit 1
