#!/usr/bin/env bash
# The test command: Rust unit tests of the pure core, then the Python suite on ../shared data.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet
python -m pytest -q
