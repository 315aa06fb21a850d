#!/usr/bin/env bash
# A throw-away ClamAV daemon for the tests and for trying attachment scanning locally.
#
#   scripts/clamd.sh start DIR   write a config and a one-line signature database into DIR,
#                                start clamd on a unix socket in DIR, wait until it answers
#                                PING, and print the address (DIR/clamd.sock)
#   scripts/clamd.sh stop DIR    stop the clamd started in DIR (by the pid it wrote)
#
# Without signature updates (no network), the database holds one signature: the standard
# EICAR anti-virus test file, which is enough to prove that infected files are caught.
# Then, for example:  CLAMD_TEST_ADDRESS=DIR/clamd.sock .venv/bin/python -m pytest tests/...
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
	echo "usage: $0 start|stop DIR" >&2
	exit 2
fi

start() {
	if ! command -v clamd >/dev/null 2>&1; then
		echo "clamd is not installed (Debian package clamav-daemon)." >&2
		exit 1
	fi
	mkdir -p "$dir/db"
	dir="$(cd "$dir" && pwd)"
	# The EICAR test string, hex-encoded, found anywhere in a file (offset *).
	local eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
	printf 'Eicar-Test-Signature:0:*:%s\n' "$(printf '%s' "$eicar" | od -An -tx1 | tr -d ' \n')" \
		>"$dir/db/eicar.ndb"
	cat >"$dir/clamd.conf" <<CONF
LocalSocket $dir/clamd.sock
FixStaleSocket true
PidFile $dir/clamd.pid
DatabaseDirectory $dir/db
LogFile $dir/clamd.log
TemporaryDirectory $dir
Foreground false
MaxThreads 2
StreamMaxLength 25M
CONF
	if [ "$(id -u)" = 0 ]; then
		echo "User root" >>"$dir/clamd.conf"
	fi
	clamd --config-file="$dir/clamd.conf"
	for _ in $(seq 60); do
		if [ -S "$dir/clamd.sock" ] && timeout 2 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"nPING\n")
sys.exit(0 if s.recv(16).strip() == b"PONG" else 1)
' "$dir/clamd.sock" 2>/dev/null; then
			echo "$dir/clamd.sock"
			return 0
		fi
		sleep 0.5
	done
	echo "clamd did not answer PING within 30 s; its log:" >&2
	cat "$dir/clamd.log" >&2 || true
	exit 1
}

stop() {
	if [ -f "$dir/clamd.pid" ]; then
		local pid
		pid="$(cat "$dir/clamd.pid")"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		rm -f "$dir/clamd.pid"
	fi
}

case "$command" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
