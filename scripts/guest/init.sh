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

finish
