#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the svq-relay e2e guest (busybox ash, runs as PID 1).
#
# Instructions come from the kernel command line, all optional but svq.ip
# and svq.peer:
#   svq.ip=10.99.0.2/24 svq.peer=10.99.0.1 svq.pings=100 svq.ping_interval=0.2
#   svq.stream_bytes=8388608 svq.stream_seed=1 svq.stream_port=5001
#   svq.link_wait=30
#   svq.mig=1 svq.mig_rx_port=5101 svq.mig_tx_port=5102 svq.mig_ctl_port=5103
#   svq.mig_rate=1000 svq.mig_size=512 svq.mig_mem_mb=64
#   svq.mig_churn_kbps=2048 svq.mig_report_s=2 (the live migration test: run migcheck, see
#   test/e2e/guest/migcheck.c, until the host stops it)
# Results go to the serial console as lines starting with "SVQ-RESULT ", and
# the last one is always "SVQ-RESULT done", so the host can stop waiting.
# Not "set -e": PID 1 must reach poweroff whatever fails.

export PATH=/bin:/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# an image built without root has no /dev/console node: reopen it now
[ -t 1 ] || exec </dev/console >/dev/console 2>&1

result() {
	echo "SVQ-RESULT $*"
}

finish() {
	result "done uptime_s=$(uptime_s)"
	# let the UART drain before the power goes; poweroff -f does not wait
	sleep 1
	poweroff -f
}

ip_addr=""
peer=""
pings=100
ping_interval=0.2
stream_bytes=0
stream_seed=1
stream_port=5001
link_wait=30
mig=0
mig_rx_port=5101
mig_tx_port=5102
mig_ctl_port=5103
mig_rate=1000
mig_size=512
mig_mem_mb=64
mig_churn_kbps=2048
mig_report_s=2
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	svq.ip=*) ip_addr=${arg#*=} ;;
	svq.peer=*) peer=${arg#*=} ;;
	svq.pings=*) pings=${arg#*=} ;;
	svq.ping_interval=*) ping_interval=${arg#*=} ;;
	svq.stream_bytes=*) stream_bytes=${arg#*=} ;;
	svq.stream_seed=*) stream_seed=${arg#*=} ;;
	svq.stream_port=*) stream_port=${arg#*=} ;;
	svq.link_wait=*) link_wait=${arg#*=} ;;
	svq.mig=*) mig=${arg#*=} ;;
	svq.mig_rx_port=*) mig_rx_port=${arg#*=} ;;
	svq.mig_tx_port=*) mig_tx_port=${arg#*=} ;;
	svq.mig_ctl_port=*) mig_ctl_port=${arg#*=} ;;
	svq.mig_rate=*) mig_rate=${arg#*=} ;;
	svq.mig_size=*) mig_size=${arg#*=} ;;
	svq.mig_mem_mb=*) mig_mem_mb=${arg#*=} ;;
	svq.mig_churn_kbps=*) mig_churn_kbps=${arg#*=} ;;
	svq.mig_report_s=*) mig_report_s=${arg#*=} ;;
	esac
done

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

result "boot kernel=$(uname -r) uptime_s=$(uptime_s)"

# Dependency order, computed at image build time; built-in ones are absent.
while read -r mod; do
	[ -n "$mod" ] || continue
	if ! insmod "/lib/modules/$mod.ko" 2>/tmp/insmod.err; then
		result "insmod module=$mod error=\"$(cat /tmp/insmod.err)\""
	fi
done </etc/modules.order

if [ -z "$ip_addr" ] || [ -z "$peer" ]; then
	result "error=missing svq.ip or svq.peer"
	finish
fi

# virtio_net probes asynchronously relative to insmod returning
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -e /sys/class/net/eth0 ]; then
	result "error=no eth0 (have: $(echo /sys/class/net/* | sed 's|/sys/class/net/||g'))"
	finish
fi

ip link set lo up
ip addr add "$ip_addr" dev eth0
ip link set eth0 up
result "link dev=eth0 mac=$(cat /sys/class/net/eth0/address) ip=$ip_addr"

# Readiness, not measurement: the first reply proves ARP and both ring
# directions work, so the counted pings below measure steady state only.
t=0
ready=0
while [ $t -lt "$link_wait" ]; do
	if ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then
		ready=1
		break
	fi
	t=$((t + 1))
done
result "ready peer=$peer ok=$ready waited_s=$t"

if [ "$pings" -gt 0 ]; then
	out=$(ping -c "$pings" -i "$ping_interval" -W 2 "$peer" 2>&1 | tail -n 3)
	tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
	rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	rtt=$(echo "$out" | sed -n 's/^round-trip min\/avg\/max = \([^ ]*\).*/\1/p')
	result "ping transmitted=${tx:-0} received=${rx:-0} rtt_ms=${rtt:-none}"
fi

if [ "$stream_bytes" -gt 0 ]; then
	# streamer prints its own SVQ-RESULT line (or an error one)
	streamer send "$peer" "$stream_port" "$stream_bytes" "$stream_seed" 60 ||
		result "stream_status rc=$?"
fi

if [ "$mig" = 1 ]; then
	# room for a few seconds of the host's stream while the guest is busy
	echo 8388608 >/proc/sys/net/core/rmem_max
	# migcheck prints its own SVQ-RESULT lines; it runs until the host
	# sends STOP, which may be on another QEMU after a migration
	migcheck run "$peer" "$mig_rx_port" "$mig_tx_port" "$mig_ctl_port" \
		rate="$mig_rate" size="$mig_size" mem_mb="$mig_mem_mb" \
		churn_kbps="$mig_churn_kbps" report_s="$mig_report_s" ||
		result "migcheck_status rc=$?"
fi

finish
