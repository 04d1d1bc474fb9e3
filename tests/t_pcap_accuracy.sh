#!/usr/bin/env bash
# Accuracy of classification and policy against ndpiReader 4.2's labels.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tests/pcap/accuracy.py
