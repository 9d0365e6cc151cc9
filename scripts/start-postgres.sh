#!/usr/bin/env bash
# Starts the machine's PostgreSQL server if it is installed but not running, so the tests
# that need one (they read DATABASE_URL) run instead of skipping. Does nothing where
# PostgreSQL answers already or is not installed; never installs anything.
set -uo pipefail

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "start-postgres: PostgreSQL client tools are not installed; tests needing it will skip" >&2
  exit 0
fi
if pg_isready -q -h 127.0.0.1; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    echo "start-postgres: starting PostgreSQL $version" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 && exit 0
    sleep 1
  done
fi
echo "start-postgres: PostgreSQL is not answering on 127.0.0.1; tests needing it will skip" >&2
exit 0
