#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set the machine up and run every test: unit, integration (DPDK and
# svq-frontend guests) and end to end (QEMU guest), then the unit and
# integration suites once more under ASan and UBSan, then the fuzz targets
# for a short while. Extra arguments go to
# 'meson test' for the first pass only (and skip the others), e.g.
# 'scripts/test.sh --suite unit'. Ends with "N passed, N failed, N skipped".
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${SVQ_BUILD_DIR:-$top/build}

"$top/scripts/setup.sh"

status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 1 "$@" || status=$?
logs=("$build_dir/meson-logs/testlog.json")

# The unit and integration suites again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (DPDK's own libraries stay uninstrumented):
# any report fails the test. Leak detection is off: DPDK keeps its memory
# to the end by design. SVQ_SANITIZE=0 skips this pass.
if [ "${SVQ_SANITIZE:-1}" = 1 ] && [ $# -eq 0 ]; then
	san_dir=${SVQ_SAN_BUILD_DIR:-$top/build-san}
	if [ ! -f "$san_dir/build.ninja" ]; then
		meson setup "$san_dir" "$top" -Db_sanitize=address,undefined \
			-Db_lundef=false >/dev/null
	fi
	ninja -C "$san_dir" >/dev/null
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C "$san_dir" --suite unit --suite integration \
		--print-errorlogs --num-processes 1 || status=$?
	logs+=("$san_dir/meson-logs/testlog.json")
fi

# The fuzz targets (test/fuzz), each for 20 s on its corpus, regression
# inputs first, in a clang build of their own (scripts/fuzz.sh sets it
# up). Skipped, saying so, only where clang is absent; SVQ_FUZZ=0 skips
# this pass.
if [ "${SVQ_FUZZ:-1}" = 1 ] && [ $# -eq 0 ]; then
	fuzz_dir=${SVQ_FUZZ_BUILD_DIR:-$top/build-fuzz}
	fuzz_status=0
	SVQ_FUZZ_BUILD_DIR=$fuzz_dir "$top/scripts/fuzz.sh" --build-only || fuzz_status=$?
	if [ "$fuzz_status" = 0 ]; then
		meson test -C "$fuzz_dir" --suite fuzz --print-errorlogs \
			--num-processes 1 || status=$?
		logs+=("$fuzz_dir/meson-logs/testlog.json")
	elif [ "$fuzz_status" != 77 ]; then
		status=1
	fi
fi

python3 - "${logs[@]}" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for log in sys.argv[1:]:
    for line in open(log):
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
