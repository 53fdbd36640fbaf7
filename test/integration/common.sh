# SPDX-License-Identifier: BSD-3-Clause
#
# Helpers shared by the integration tests; sourced, not run.
#
# Every process a test starts is recorded by PID and ended by that PID in
# the EXIT trap (never by name: other DPDK processes may share the host).
# Each DPDK process gets its own --file-prefix, and the trap removes that
# prefix's hugepage files and runtime directory, so a killed test leaves
# nothing behind.
#
# Environment:
#   SVQ_IT_BACKEND        relay (default) or testpmd: the vhost-user backend
#                         under test; testpmd (net_vhost, io forwarding,
#                         queue q -> queue q) is a stand-in that loops
#                         frames back the way the relay's sim loopback does
#   SVQ_IT_TESTPMD        dpdk-testpmd binary (default: from PATH)
#   SVQ_IT_BACKEND_LCORES lcores of the backend (default 0-1: main on cpu 0,
#                         forwarding/worker on cpu 1)
#   SVQ_IT_MIN_HUGEPAGES  free 2M hugepages required (default 256)
#   SVQ_IT_KEEP           1: keep the work directory and logs
#   SVQ_IT_VERBOSE        1: print whole logs, not only their tails, on failure

IT_NAME=$(basename "$0" .sh)
IT_BACKEND=${SVQ_IT_BACKEND:-relay}
IT_TESTPMD=${SVQ_IT_TESTPMD:-dpdk-testpmd}
IT_BACKEND_LCORES=${SVQ_IT_BACKEND_LCORES:-0-1}
IT_HUGEDIR=/dev/hugepages
IT_DIR=
IT_PIDS=()
IT_PREFIXES=()
IT_LOGS=()
IT_FAILED=0

it_log() {
	echo "$IT_NAME: $*"
}

# Prerequisite absent: meson counts exit 77 as "skipped".
it_skip() {
	echo "$IT_NAME: SKIP: $*"
	exit 77
}

it_fail() {
	echo "$IT_NAME: FAIL: $*"
	IT_FAILED=1
	exit 1
}

it_dump_logs() {
	local f
	for f in "${IT_LOGS[@]}"; do
		[ -f "$f" ] || continue
		echo "----- $f"
		if [ "${SVQ_IT_VERBOSE:-0}" = 1 ]; then
			cat "$f"
		else
			tail -n 40 "$f"
		fi
	done
	echo "-----"
}

it_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	# DPDK apps close their ports on SIGTERM; give them a moment.
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

it_cleanup() {
	local rc=$? pid prefix i
	trap - EXIT INT TERM
	# Guests first, so the backend sees an orderly disconnect; before the
	# logs are shown, so an interrupted guest's last words are in them.
	for (( i = ${#IT_PIDS[@]} - 1; i >= 0; i-- )); do
		it_stop_pid "${IT_PIDS[$i]}"
	done
	if [ "$IT_FAILED" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
		it_dump_logs
	fi
	for prefix in "${IT_PREFIXES[@]}"; do
		rm -f "$IT_HUGEDIR/${prefix}"map_*
		rm -rf "/var/run/dpdk/$prefix"
	done
	if [ -n "$IT_DIR" ]; then
		if [ "${SVQ_IT_KEEP:-0}" = 1 ]; then
			it_log "kept $IT_DIR"
		else
			rm -rf "$IT_DIR"
		fi
	fi
	exit "$rc"
}

it_init() {
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	IT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/svq-it.XXXXXX") ||
		it_fail "cannot create a work directory"
	IT_SOCK=$IT_DIR/vhost.sock
}

it_need_common() {
	[ "$(id -u)" = 0 ] || it_skip "not root (DPDK needs hugepages and /var/run/dpdk)"
	grep -qs " $IT_HUGEDIR hugetlbfs " /proc/mounts ||
		it_skip "hugetlbfs is not mounted on $IT_HUGEDIR"
	local free
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ "${free:-0}" -ge "${SVQ_IT_MIN_HUGEPAGES:-256}" ] ||
		it_skip "only ${free:-0} free hugepages (need ${SVQ_IT_MIN_HUGEPAGES:-256})"
}

it_need_testpmd() {
	command -v "$IT_TESTPMD" >/dev/null 2>&1 ||
		it_skip "$IT_TESTPMD not found (Debian package dpdk)"
}

it_need_backend() {
	case "$IT_BACKEND" in
	relay)
		[ -x "$RELAY" ] || it_skip "relay binary '$RELAY' is not built"
		;;
	testpmd)
		it_need_testpmd
		;;
	*)
		it_fail "SVQ_IT_BACKEND must be relay or testpmd, not '$IT_BACKEND'"
		;;
	esac
}

# it_spawn NAME PREFIX CMD...: start CMD in the background, output to
# $IT_DIR/NAME.log, stdin from /dev/null unless IT_STDIN is set.
# Sets IT_LAST_PID.
it_spawn() {
	local name=$1 prefix=$2 log
	shift 2
	log=$IT_DIR/$name.log
	IT_LOGS+=("$log")
	[ -n "$prefix" ] && IT_PREFIXES+=("$prefix")
	echo "+ $*" >"$log"
	# fd 3 is the script of a frontend (it_fe_start): not for others
	"$@" <"${IT_STDIN:-/dev/null}" >>"$log" 2>&1 3>&- &
	IT_LAST_PID=$!
	IT_PIDS+=("$IT_LAST_PID")
}

# it_wait_listening PID WHAT SOCKET...: wait up to 20 s until every SOCKET
# exists; fail naming WHAT if process PID exits first or time runs out.
it_wait_listening() {
	local pid=$1 what=$2 sock missing
	shift 2
	for _ in $(seq 200); do
		missing=
		for sock in "$@"; do
			[ -S "$sock" ] || missing=$sock
		done
		[ -z "$missing" ] && return 0
		kill -0 "$pid" 2>/dev/null || it_fail "$what exited before creating $missing"
		sleep 0.1
	done
	it_fail "$what did not create $missing in 20 s"
}

# Starts the backend as the vhost-user server on $IT_SOCK with $1 queue
# pairs and waits until it listens.
it_start_backend() {
	local q=$1 prefix i
	case "$IT_BACKEND" in
	relay)
		prefix=svq-it-relay-$$
		it_spawn backend "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" \
			--no-pci --file-prefix="$prefix" -- \
			--vhost "$IT_SOCK,queues=$q" --device sim,mode=loopback
		;;
	testpmd)
		# Non-interactive testpmd would block on "Press enter to
		# exit" reading stdin, and exit at once on /dev/null; with
		# --stats-period it loops printing statistics until SIGTERM
		# instead. --total-num-mbufs: the default pool takes
		# ~340 MB of hugepages. --port-topology=loop makes port 0 forward to
		# itself without the "odd number of ports" warning; with
		# rxq == txq testpmd maps stream rx queue q -> tx queue q.
		prefix=svq-it-be-$$
		it_spawn backend "$prefix" "$IT_TESTPMD" -l "$IT_BACKEND_LCORES" \
			--no-pci --file-prefix="$prefix" \
			--vdev "net_vhost0,iface=$IT_SOCK,queues=$q" -- \
			--forward-mode=io --port-topology=loop --auto-start \
			--rxq="$q" --txq="$q" --nb-cores=1 --stats-period=1 \
			--total-num-mbufs=16384
		;;
	esac
	IT_BACKEND_PID=$IT_LAST_PID
	it_wait_listening "$IT_BACKEND_PID" "backend ($IT_BACKEND)" "$IT_SOCK"
	it_log "backend $IT_BACKEND (pid $IT_BACKEND_PID) listening on $IT_SOCK, $q queue pair(s)"
}

it_backend_alive() {
	kill -0 "$IT_BACKEND_PID" 2>/dev/null
}

# it_field LINE KEY: value of KEY=value in a result line.
it_field() {
	local kv
	for kv in $1; do
		case "$kv" in
		"$2"=*) echo "${kv#*=}"; return 0 ;;
		esac
	done
	return 1
}

# it_fe_start NAME FRONTEND ARGS...: start svq-frontend reading its script
# from a FIFO on fd 3, so a test can look at the backend between steps;
# output in $IT_DIR/NAME.log (IT_FE_LOG), pid in IT_FE_PID.
it_fe_start() {
	local name=$1
	shift
	IT_FE_LOG=$IT_DIR/$name.log
	IT_LOGS+=("$IT_FE_LOG")
	mkfifo "$IT_DIR/$name.in"
	timeout 300 "$@" <"$IT_DIR/$name.in" >"$IT_FE_LOG" 2>&1 &
	IT_FE_PID=$!
	IT_PIDS+=("$IT_FE_PID")
	exec 3>"$IT_DIR/$name.in"
}

# it_fe_step MARK CMD...: run the commands in the frontend, wait (60 s at
# most) until it printed MARK; fail on any error line.
it_fe_step() {
	local mark=$1 i
	shift
	printf '%s\n' "$@" "echo $mark" >&3
	for ((i = 0; i < 600; i++)); do
		grep -q "^echo $mark\$" "$IT_FE_LOG" && return 0
		grep -q -e '^error' -e '^setup' "$IT_FE_LOG" &&
			it_fail "frontend at step $mark: $(grep -m1 -e '^error' -e '^setup' "$IT_FE_LOG")"
		kill -0 "$IT_FE_PID" 2>/dev/null ||
			it_fail "frontend exited before step $mark: $(tail -n 3 "$IT_FE_LOG")"
		sleep 0.1
	done
	it_fail "step $mark: no answer from the frontend in 60 s"
}

# it_fe_end: close the script and wait for the frontend's exit status.
it_fe_end() {
	exec 3>&-
	wait "$IT_FE_PID"
}

# it_ctl SOCK METHOD JSON_PARAMS: one call on a relay's control socket;
# prints the result as JSON, or fails with the error's message.
it_ctl() {
	python3 - "$@" <<'PY'
import json, socket, sys
path, method, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(path)
s.sendall((json.dumps({"id": 1, "method": method, "params": params}) +
	   "\n").encode())
buf = b""
while not buf.endswith(b"\n"):
	chunk = s.recv(65536)
	if not chunk:
		break
	buf += chunk
reply = json.loads(buf)
if "error" in reply:
	sys.exit("error: %s" % reply["error"]["message"])
print(json.dumps(reply["result"]))
PY
}
