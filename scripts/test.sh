#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set the machine up and run every test: unit, integration (dpdk-testpmd
# guests) and end to end (QEMU guest). Extra arguments go to 'meson test',
# e.g. 'scripts/test.sh --suite unit'. Ends with "N passed, N failed".
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${SVQ_BUILD_DIR:-$top/build}

"$top/scripts/setup.sh"

status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 1 "$@" || status=$?

python3 - "$build_dir/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        counts["OK"] += 1
    elif r == "SKIP":
        counts["SKIP"] += 1
    else:
        counts["FAIL"] += 1
print(f"{counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
exit $status
