#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the libFuzzer targets (clang, ASan, UBSan; DPDK's libraries stay
# uninstrumented) in a build directory of their own and run each for
# SECONDS on a copy of its corpus, which libFuzzer replays first. Prints
# exec/s and coverage per target. A crash, sanitizer report or broken
# property fails the run; the input is kept in test/fuzz/crashes/.
#
#   scripts/fuzz.sh [-t SECONDS] [-B BUILD_DIR] [--build-only] [--no-build] [TARGET...]
#
# Targets: shadow, cvq, state_json, vhost_user (default: all), one after the other.
# Environment: SVQ_FUZZ_CC (default clang-14, else clang),
#              SVQ_FUZZ_BUILD_DIR (default build-fuzz),
#              SVQ_FUZZ_ARGS (more libFuzzer flags, e.g. -max_len=8192).
# Exit status: 0, 1 on a failure, 77 without clang.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${SVQ_FUZZ_BUILD_DIR:-$top/build-fuzz}
seconds=60
build=1
run=1
all_targets=(shadow cvq state_json vhost_user)

usage() {
	sed -n 's/^#   //p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-t) seconds=${2:?}; shift 2 ;;
	-B) build_dir=${2:?}; shift 2 ;;
	--build-only) run=0; shift ;;
	--no-build) build=0; shift ;;
	-h|--help) usage ;;
	-*) echo "fuzz: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
	[ -d "$top/test/fuzz/corpus/$t" ] || { echo "fuzz: no target $t" >&2; usage; }
done

if [ "$build" = 1 ]; then
	cc=${SVQ_FUZZ_CC:-}
	if [ -z "$cc" ]; then
		for c in clang-14 clang; do
			command -v "$c" >/dev/null && { cc=$c; break; }
		done
	fi
	if [ -z "$cc" ] || ! command -v "$cc" >/dev/null; then
		echo "fuzz: skipped: no clang (scripts/setup.sh installs clang-14 and libclang-rt-14-dev)"
		exit 77
	fi
	if [ ! -f "$build_dir/build.ninja" ]; then
		CC=$cc meson setup "$build_dir" "$top" -Dfuzz=enabled >/dev/null ||
			{ echo "fuzz: meson setup $build_dir failed" >&2; exit 1; }
	fi
	ninja -C "$build_dir" >/dev/null ||
		{ echo "fuzz: build failed: run 'ninja -C $build_dir' to see why" >&2; exit 1; }
fi
[ "$run" = 1 ] || exit 0

crash_dir=$top/test/fuzz/crashes
work=$(mktemp -d /tmp/svq-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0

for t in "${targets[@]}"; do
	exe=$build_dir/test/fuzz/fuzz-$t
	[ -x "$exe" ] || { echo "fuzz: $exe missing: build with -Dfuzz=enabled" >&2; exit 1; }
	mkdir -p "$work/$t" "$crash_dir"
	cp "$top/test/fuzz/corpus/$t/"* "$work/$t/"
	seeds=$(ls "$work/$t" | wc -l)
	dict=()
	[ -f "$top/test/fuzz/$t.dict" ] && dict=(-dict="$top/test/fuzz/$t.dict")
	rc=0
	# Leaks are reported (the targets free what they allocate); one input
	# may take 10 s at most.
	"$exe" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crash_dir/$t-" "${dict[@]}" ${SVQ_FUZZ_ARGS:-} \
		"$work/$t" >"$work/$t.log" 2>&1 || rc=$?
	python3 - "$t" "$work/$t.log" "$seeds" "$(ls "$work/$t" | wc -l)" "$rc" <<'PY'
import re, sys
name, log, seeds, corpus, rc = sys.argv[1:]
text = open(log, errors="replace").read()
stat = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
cov = re.findall(r"^#\d+\s+(\w+)\s+cov: (\d+) ft: (\d+)", text, re.M)
init = next((c for c in cov if c[0] == "INITED"), None)
last = cov[-1] if cov else None
print(f"fuzz: {name}: {stat.get('number_of_executed_units', '?')} runs, "
      f"{stat.get('average_exec_per_sec', '?')} exec/s, "
      f"cov {init[1] if init else '?'} -> {last[1] if last else '?'}, "
      f"ft {init[2] if init else '?'} -> {last[2] if last else '?'}, "
      f"corpus {seeds} -> {corpus}" + ("" if rc == "0" else f", FAILED (status {rc})"))
PY
	if [ "$rc" != 0 ]; then
		status=1
		tail -n 60 "$work/$t.log"
		grep -h "Test unit written to" "$work/$t.log" || true
	fi
done
exit $status
