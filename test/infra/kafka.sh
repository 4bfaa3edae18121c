#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft) on 127.0.0.1:9092 for the integration tests and the
# Kafka benchmark, unless something already listens there. Kafka's jars come from Maven Central through
# the machine's `mvn` (test/infra/kafka/pom.xml) into a cache folder reused by later runs; the storage
# is formatted once with a cluster id kept beside it. Safe to run again; quick when the broker is up.
# The jars are fetched even when some broker already listens (tests start short-lived brokers of their own).
#   FNKIT_KAFKA_HOME   cache folder (default ~/.cache/fnkit/kafka-<version>)
#   FNKIT_KAFKA_WAIT   seconds to wait for the broker to accept connections (default 120)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=3.9.1
home="${FNKIT_KAFKA_HOME:-$HOME/.cache/fnkit/kafka-$version}"
libs="$home/libs"
data="$home/data"
log="$home/broker.log"
wait_s="${FNKIT_KAFKA_WAIT:-120}"

listening() { (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; }

need() { command -v "$1" >/dev/null 2>&1; }
if ! need java || ! need mvn; then
  if need apt-get; then
    echo "test setup: installing java and maven for the Kafka broker (apt-get)"
    sudo_="" ; [ "$(id -u)" = 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq default-jre-headless maven >/dev/null
  fi
  need java && need mvn || { echo "test setup: kafka.sh needs java (17+) and mvn on PATH" >&2; exit 1; }
fi

mkdir -p "$home"
if [ ! -f "$libs/kafka_2.13-$version.jar" ]; then
  echo "test setup: fetching Apache Kafka $version jars from Maven Central into $libs"
  work="$(mktemp -d)"
  cp "$here/kafka/pom.xml" "$work/pom.xml"
  rm -rf "$libs.partial"
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -Dkafka.version="$version" \
        -DincludeScope=runtime -DoutputDirectory="$libs.partial"); then
    rm -rf "$work"
    echo "test setup: mvn could not fetch the Kafka jars (is Maven Central reachable?)" >&2
    exit 1
  fi
  rm -rf "$work" "$libs"
  mv "$libs.partial" "$libs"
fi

# The jars are fetched even when a broker is already running: tests start their own short-lived
# brokers from them (the broker restart test).
if listening; then
  echo "test setup: kafka already listening on 127.0.0.1:9092"
  exit 0
fi

props="$home/server.properties"
sed "s#@DATA_DIR@#$data#" "$here/kafka/server.properties.template" > "$props"
cp "$here/kafka/log4j.properties" "$home/log4j.properties"

if [ ! -f "$data/meta.properties" ]; then
  [ -f "$home/cluster-id" ] || java -Dlog4j.configuration="file:$home/log4j.properties" -Dkafka.logs.file="$log" -cp "$libs/*" kafka.tools.StorageTool random-uuid > "$home/cluster-id"
  echo "test setup: formatting Kafka storage in $data (cluster $(cat "$home/cluster-id"))"
  java -Dlog4j.configuration="file:$home/log4j.properties" -Dkafka.logs.file="$log" -cp "$libs/*" \
    kafka.tools.StorageTool format -t "$(cat "$home/cluster-id")" -c "$props" --ignore-formatted >/dev/null
fi

echo "test setup: starting Kafka $version on 127.0.0.1:9092 (log $log)"
: > "$log"
setsid nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
  -Dlog4j.configuration="file:$home/log4j.properties" -Dkafka.logs.file="$log" \
  -cp "$libs/*" kafka.Kafka "$props" >> "$log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$home/broker.pid"
disown "$pid" 2>/dev/null || true

for ((i = 0; i < wait_s * 2; i++)); do
  if listening; then
    echo "test setup: kafka is up on 127.0.0.1:9092 (pid $pid)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "test setup: the Kafka broker exited during start-up; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "test setup: Kafka did not accept connections on 127.0.0.1:9092 within ${wait_s}s; last lines of $log:" >&2
tail -n 40 "$log" >&2
exit 1
