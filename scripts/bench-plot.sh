#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The plots of doc/performance.md (issue P5): throughput vs burst size and
# vs queue pairs, measured here and drawn with gnuplot (Debian package
# gnuplot-nox, installed with apt-get if missing: the tests never need it).
#
#   burst:  svq-bench-shadow --offer B (the synthetic guest makes at most B
#           chains available per round, so the relay's bursts are at most
#           B long; SVQ_BURST caps them at 32), B = 1..64, median Mdesc/s
#           of RUNS runs, offers alternating; with -e also end to end:
#           scripts/bench-direct.sh -D tx -b B (the guest testpmd's
#           --burst), direct and relayed Mpps.
#   queues: scripts/bench-testpmd.sh -q "1 2 4", the relay + sim loopback
#           and the testpmd net_vhost reference, median Mpps.
#
# Writes OUT/burst.dat, OUT/queues.dat (and OUT/burst-e2e.dat) and
# OUT/burst.png, OUT/queues.png. -p: only draw, from the .dat files in OUT.
#
# usage: scripts/bench-plot.sh [-r RUNS] [-e] [-p] [-o OUT] [BUILD_DIR]
#   -o OUT   output directory (default doc/img)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$top/scripts/bench-lib.sh"
usage() { bench_usage; }

runs=5
e2e=0
plot_only=0
out=$top/doc/img
while getopts "r:epo:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	e) e2e=1 ;;
	p) plot_only=1 ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case "$runs" in
'' | *[!0-9]*) echo "bench-plot: -r takes a whole number" >&2; usage ;;
esac
build=${1:-$top/build}
bursts="1 2 4 8 16 32 64"
mkdir -p "$out"

if ! command -v gnuplot >/dev/null; then
	echo "bench-plot: installing gnuplot-nox" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null ||
		{ echo "bench-plot: cannot install gnuplot-nox" >&2; exit 1; }
fi

if [ "$plot_only" = 0 ]; then
	bench=$build/test/bench/svq-bench-shadow
	[ -x "$bench" ] || { echo "bench-plot: build first: $bench" >&2; exit 1; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	load="loadavg $(cut -d' ' -f1-3 /proc/loadavg)"

	for (( i = 1; i <= runs; i++ )); do
		for b in $bursts; do
			"$bench" --descs 5000000 --offer "$b" |
				grep -o ' mdesc_per_s=[0-9.]*' | cut -d= -f2 >>"$work/micro-$b"
		done
	done
	{
		echo "# svq-bench-shadow --offer B, median of $runs runs, $load"
		echo "# burst mdesc_per_s"
		for b in $bursts; do
			echo "$b $(bench_median 3 <"$work/micro-$b")"
		done
	} >"$out/burst.dat"
	cat "$out/burst.dat"

	if [ "$e2e" = 1 ]; then
		{
			echo "# bench-direct.sh -D tx -b B -r $runs, guest tx, $load"
			echo "# burst direct_mpps relayed_mpps"
			for b in $bursts; do
				"$top/scripts/bench-direct.sh" -D tx -r "$runs" -b "$b" \
					"$build/app/svq-relay" | tee "$work/e2e-$b" >&2
				awk -v b="$b" '$1 == "guest-tx" { v = $2 " " $3 }
					END { print b, v }' "$work/e2e-$b"
			done
		} >"$out/burst-e2e.dat"
		cat "$out/burst-e2e.dat"
	fi

	{
		echo "# bench-testpmd.sh -q \"1 2 4\" -r $runs, relay and testpmd, $load"
		echo "# queues relay_mpps testpmd_mpps"
		for be in relay testpmd; do
			"$top/scripts/bench-testpmd.sh" -r "$runs" -q "1 2 4" -B "$be" \
				"$build/app/svq-relay" >"$work/qp-$be"
		done
		join <(awk '$1 == "relay" { print $2, $5 }' "$work/qp-relay") \
			<(awk '$1 == "testpmd" { print $2, $5 }' "$work/qp-testpmd")
	} >"$out/queues.dat"
	cat "$out/queues.dat"
fi

e2e_plot=
if [ -s "$out/burst-e2e.dat" ]; then
	e2e_plot=", '$out/burst-e2e.dat' using 1:2 axes x1y2 with linespoints title 'direct: testpmd net\\_vhost, guest tx (Mpps, right)', \
	'$out/burst-e2e.dat' using 1:3 axes x1y2 with linespoints title 'relayed: svq-relay + sim null, guest tx (Mpps, right)'"
fi
gnuplot <<EOF
set terminal pngcairo size 800,480 font ",10"
set grid
set key top left
set output '$out/burst.png'
set title 'Throughput vs burst size'
set xlabel 'burst (descriptors made available per round / guest --burst)'
set logscale x 2
set ylabel 'Mdesc/s (microbenchmark)'
set yrange [0:*]
$( [ -n "$e2e_plot" ] && echo "set y2label 'Mpps (end to end)'; set y2tics; set y2range [0:*]; set ytics nomirror" )
plot '$out/burst.dat' using 1:2 with linespoints lw 2 title 'lib/svq forwarding, 1 lcore (Mdesc/s)'$e2e_plot
set output '$out/queues.png'
set title 'Throughput vs queue pairs (testpmd guest, io loopback)'
unset logscale x
unset y2label
unset y2tics
set ytics mirror
set xlabel 'queue pairs'
set xtics 1
set ylabel 'Mpps (guest Rx-pps)'
plot '$out/queues.dat' using 1:2 with linespoints lw 2 title 'svq-relay + sim loopback', \
	'$out/queues.dat' using 1:3 with linespoints lw 2 title 'testpmd net\\_vhost io (reference)'
EOF
echo "bench-plot: wrote $out/burst.png $out/queues.png"
