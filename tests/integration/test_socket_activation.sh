#!/usr/bin/env bash
# Socket activation without systemd as PID 1: systemd-socket-activate (from the systemd
# package) plays the socket unit: it binds the socket, waits for the first client, then execs
# a0ipcd with the socket as fd 3 (LISTEN_FDS=1), as a0ipcd.socket + a0ipcd.service would.
# Checks: the daemon is started by the first connection and answers it; it serves on the passed
# socket (it says so) with its own accept loop, so peer credentials are known (identity=uid:0 in
# the call line) and its peer policy refuses a user it does not allow; it leaves the manager's
# socket file in place when it stops.
# usage: test_socket_activation.sh A0IPCD A0IPC
set -euo pipefail
a0ipcd=$1
a0ipc=$2
command -v systemd-socket-activate >/dev/null || {
  echo "FAIL: systemd-socket-activate not found: install the systemd package (scripts/bootstrap)" >&2
  exit 1
}
tmp=$(mktemp -d /tmp/a0ipc-activation-XXXXXX)
chmod 755 "$tmp"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$tmp/log" ] && sed 's/^/  log: /' "$tmp/log" >&2
  exit 1
}

sock=$tmp/a0ipcd.sock
systemd-socket-activate -l "$sock" "$a0ipcd" --listen "unix:$sock" --ready-file "$tmp/ready" \
  2>"$tmp/log" &
pid=$! # systemd-socket-activate execs a0ipcd: the same process
for _ in $(seq 50); do
  [ -S "$sock" ] && break
  sleep 0.1
done
[ -S "$sock" ] || fail "systemd-socket-activate did not create $sock"
sleep 0.3
[ ! -e "$tmp/ready" ] || fail "a0ipcd started before anyone connected"

out=$("$a0ipc" health --target "unix:$sock" --timeout 10) || fail "a0ipc health: $out"
[ "$out" = SERVING ] || fail "a0ipc health said $out"
[ -f "$tmp/ready" ] || fail "no ready file"
grep -q "socket activation: serving unix:$sock on the socket passed as fd 3" "$tmp/log" ||
  fail "a0ipcd did not say it serves on the passed socket"
grep -q "method=/grpc.health.v1.Health/Check status=OK .*identity=uid:$(id -u) " "$tmp/log" ||
  fail "the call line has no peer identity: the connection did not go through a0ipcd's accept loop"
echo "activated by the first connection; SERVING on the passed socket, peer uid known"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  chmod 666 "$sock" # the file lets anyone in: the daemon's peer policy must not
  if setpriv --reuid=nobody --regid=nogroup --clear-groups \
       "$a0ipc" health --target "unix:$sock" --timeout 3 >/dev/null 2>&1; then
    fail "the user nobody, not allowed by a0ipcd, got an answer on the passed socket"
  fi
  echo "a user outside allow-uid/allow-gid is refused on the passed socket"
fi

kill -TERM "$pid"
wait "$pid" || fail "a0ipcd exited with $? after SIGTERM"
pid=""
[ -S "$sock" ] || fail "a0ipcd removed the socket file that belongs to the service manager"
echo "stopped with 0; the manager's socket file is still there"
