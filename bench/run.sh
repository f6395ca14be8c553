#!/usr/bin/env bash
# make bench: runs every benchmark side by side with its baseline and rewrites
# docs/benchmarks.md with the figures measured in this run.
set -euo pipefail
BUILD=${1:-build}
REPO=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 "$REPO/bench/run.py" "$REPO/$BUILD"
