#!/usr/bin/env bash
# The Apache Kafka broker for the tests and for running jatkumo live: its jars come from Maven
# Central (no release archive needed) into the git-ignored deploy/kafka/lib, once.
set -euo pipefail
cd "$(dirname "$0")/../kafka"
if [ -f lib/kafka_2.13-4.3.1.jar ] && [ -f lib/log4j-slf4j-impl-2.25.3.jar ]; then
  echo "kafka: jars present in deploy/kafka/lib"
  exit 0
fi
command -v java >/dev/null || { apt-get update -q && apt-get install -y -q openjdk-17-jre-headless; }
command -v mvn >/dev/null || { apt-get update -q && apt-get install -y -q maven; }
mvn -q -B package
echo "kafka: $(ls lib | wc -l) jars in deploy/kafka/lib"
