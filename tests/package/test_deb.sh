#!/usr/bin/env bash
# The Debian packages end to end on this machine: build them (scripts/build-deb), install them
# with dpkg -i, check what the maintainer scripts did (user, conffile, enabled unit, the daemon's
# directories), start the installed daemon as its user with the installed configuration (no
# systemd runs here, as in a container: by hand), get SERVING from the installed a0ipc and from
# programs built against the installed library and from the system python3 with python3-a0ipc,
# upgrade (an enabled a0ipcd.socket is restarted), then dpkg --purge and check that nothing is
# left but the a0ipc user and group (Debian leaves system users in place).
# Needs root (it installs packages): exits 77 (skipped) otherwise, and also when a0ipc packages
# were installed before it ran, because it would remove them. Concurrent runs on one machine
# wait for each other (flock).
# usage: test_deb.sh SOURCE_DIR CONSUMER_SOURCE
set -euo pipefail
src=$1
consumer_src=$2
packages=(a0ipcd a0ipc liba0ipc1 liba0ipc-dev python3-a0ipc)

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: installing packages needs root"
  exit 77
fi
# One run at a time per machine: two checkouts tested side by side would install, run and purge
# the same packages and user under each other.
exec 9>/run/lock/a0ipc-debian-package-test.lock
flock -w 280 9 || { echo "FAIL: another run of this test held the lock for 280 s" >&2; exit 1; }
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv "not-installed"; then
    echo "SKIP: $p is already on this machine (dpkg state: $(dpkg-query -W -f='${Status}' "$p")); not touching it"
    exit 77
  fi
done
for tool in dpkg-buildpackage dh setpriv; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found: run scripts/bootstrap" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/a0ipc-deb-test-XXXXXX)
chmod 755 "$tmp" # the daemon runs as a0ipc and must reach its socket directory
user_existed=no
getent passwd a0ipc >/dev/null && user_existed=yes
installed=no
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  if [ $installed = yes ]; then
    dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true
  fi
  # The package leaves its system user behind on purpose (checked below); the machine is left
  # as the test found it.
  if [ $user_existed = no ] && getent passwd a0ipc >/dev/null; then
    userdel a0ipc 2>/dev/null || true
    getent group a0ipc >/dev/null && groupdel a0ipc 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# deb-systemd-invoke as the maintainer scripts call it, recorded (no systemd runs here to act).
mkdir "$tmp/shim"
cat >"$tmp/shim/deb-systemd-invoke" <<SHIM
#!/bin/sh
echo "\$*" >>"$tmp/invoked"
SHIM
chmod 755 "$tmp/shim/deb-systemd-invoke"
touch "$tmp/invoked"

# Build.
"$src/scripts/build-deb" "$tmp/debs" | tail -1
project=$(sed -n 's/^project(a0ipc VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
debs=()
for p in "${packages[@]}"; do
  f=$(ls "$tmp/debs/${p}_${project}"-*_*.deb 2>/dev/null | head -1)
  [ -n "$f" ] || fail "no $p package of version $project was built"
  debs+=("$f")
done

# Install, as an administrator would.
installed=yes
PATH="$tmp/shim:$PATH" dpkg -i "${debs[@]}" >"$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log" >&2; fail "dpkg -i"; }
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p")" = "install ok installed" ] || fail "$p not installed"
  dpkg -L "$p" >>"$tmp/files"
done
getent passwd a0ipc | grep -q ':/var/lib/a0ipcd:' || fail "postinst did not create the user a0ipc"
getent group a0ipc >/dev/null || fail "postinst did not create the group a0ipc"
grep -qx /etc/a0ipc/a0ipcd.conf /var/lib/dpkg/info/a0ipcd.conffiles ||
  fail "/etc/a0ipc/a0ipcd.conf is not a conffile"
# Debian policy: a daemon is enabled on installation (deb-systemd-helper works without a
# running systemd; it only starts the service where systemd runs).
[ -L /etc/systemd/system/multi-user.target.wants/a0ipcd.service ] ||
  fail "a0ipcd.service was not enabled"
# Socket activation is there but optional: not enabled.
[ -f "$(pkg-config --variable=systemdsystemunitdir systemd)/a0ipcd.socket" ] ||
  fail "a0ipcd.socket not installed"
[ ! -e /etc/systemd/system/sockets.target.wants/a0ipcd.socket ] ||
  fail "a0ipcd.socket was enabled"
# Shell completion, where bash-completion, zsh and fish look for it, and bash's works.
for f in /usr/share/bash-completion/completions/a0ipc /usr/share/zsh/vendor-completions/_a0ipc \
         /usr/share/fish/vendor_completions.d/a0ipc.fish; do
  grep -qx "$f" "$tmp/files" || fail "$f is not in the a0ipc package"
done
words=$(bash --norc -c 'source /usr/share/bash-completion/completions/a0ipc
  COMP_WORDS=(a0ipc he); COMP_CWORD=1; _a0ipc; echo "${COMPREPLY[*]}"')
[ "$words" = "health help" ] || [ "$words" = "help health" ] ||
  fail "bash completion of 'a0ipc he' gave '$words'"
# Without systemd as PID 1 (as here, or in a container) the daemon's directories exist all the
# same: the package makes them (a0ipcd.tmpfiles, postinst).
for dir in /run/a0ipcd /var/lib/a0ipcd; do
  [ "$(stat -c '%U:%G %a' "$dir" 2>/dev/null)" = "a0ipc:a0ipc 750" ] ||
    fail "$dir after installation: $(stat -c '%U:%G %a' "$dir" 2>&1)"
done
[ ! -s "$tmp/invoked" ] || fail "a fresh install restarted units: $(cat "$tmp/invoked")"
echo "installed: ${packages[*]}; user a0ipc, conffile, unit enabled, /run/a0ipcd and /var/lib/a0ipcd, completion"

# The installed daemon, as the a0ipc user, with the installed configuration as it is (socket
# /run/a0ipcd/a0ipcd.sock, Files root /var/lib/a0ipcd), started as a0ipcd.service would start it
# but without systemd: in the directories the package made. Only the ready file is elsewhere.
run=$tmp/run
install -d -o a0ipc -g a0ipc -m 750 "$run"
(cd /var/lib/a0ipcd && umask 0007 && exec setpriv --reuid=a0ipc --regid=a0ipc --init-groups \
  /usr/sbin/a0ipcd --config /etc/a0ipc/a0ipcd.conf --ready-file "$run/ready") \
  2>"$tmp/daemon.log" &
pid=$!
for _ in $(seq 100); do
  [ -f "$run/ready" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/daemon.log" >&2; fail "a0ipcd exited at start"; }
  sleep 0.1
done
[ -f "$run/ready" ] || { cat "$tmp/daemon.log" >&2; fail "a0ipcd not ready in 10 s"; }
out=$(/usr/bin/a0ipc health --target "unix:/run/a0ipcd/a0ipcd.sock") || fail "a0ipc health: $out"
[ "$out" = SERVING ] || fail "installed a0ipc health said $out"
for service in a0.runtime.v1.Files a0.runtime.v1.Terminal; do
  out=$(/usr/bin/a0ipc health --target "unix:/run/a0ipcd/a0ipcd.sock" --service $service) ||
    fail "$service: $out (the packaged configuration should serve it)"
done
echo "installed a0ipcd, installed a0ipc health: SERVING, with Files and Terminal"
# A member of the group a0ipc gets in (the unit's UMask= and RuntimeDirectoryMode= are applied
# by hand above); someone outside it cannot even reach the socket.
gid=$(getent group a0ipc | cut -d: -f3)
out=$(setpriv --reuid=nobody --regid=nogroup --groups="$gid" \
      /usr/bin/a0ipc health --target "unix:/run/a0ipcd/a0ipcd.sock" --timeout 5 2>&1) ||
  fail "a member of the group a0ipc was refused: $out"
if setpriv --reuid=nobody --regid=nogroup --clear-groups \
     /usr/bin/a0ipc health --target "unix:/run/a0ipcd/a0ipcd.sock" --timeout 2 >/dev/null 2>&1; then
  fail "the user nobody, outside the group a0ipc, reached the daemon's socket"
fi

# The Python package, as the system's python3 finds it (no PYTHONPATH, outside any tree): the
# stubs the build generated are the subpackage a0ipc._gen beside it (python3-grpcio and
# python3-protobuf load them), postinst byte-compiled it, and the typed client works against
# the installed daemon.
site=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("purelib", "deb_system"))')
grep -qx "$site/a0ipc/_gen/a0/runtime/v1/files_pb2.py" "$tmp/files" ||
  fail "python3-a0ipc has no generated stubs in $site/a0ipc/_gen"
grep -qx "$site/a0ipc/py.typed" "$tmp/files" || fail "python3-a0ipc has no py.typed"
ls "$site"/a0ipc/__pycache__/client.cpython-*.pyc >/dev/null 2>&1 ||
  fail "python3-a0ipc was not byte-compiled on installation"
cat >"$tmp/py_client.py" <<'PY'
import asyncio, sys
import a0ipc, a0ipc._proto as p
assert p.gen_dir() == sys.argv[1], p.gen_dir()
assert not [m for m in sys.modules if m.split(".")[0] in ("a0", "a0ipc_std")]
async def main():
    async with a0ipc.connect(target="unix:/run/a0ipcd/a0ipcd.sock") as c:
        assert await c.health() is a0ipc.HealthStatus.SERVING
        w = await c.files.write("python3-a0ipc-test/f", "from the system python\n")
        assert (await c.files.read(w.path)) == "from the system python\n"
        assert [e.name for e in await c.files.list("python3-a0ipc-test")] == ["f"]
        assert await c.files.remove("python3-a0ipc-test", recursive=True)
        r = await c.commands.run("id -un")
        print("python3-a0ipc %s: health SERVING, files, commands.run as %s"
              % (a0ipc.__version__, r.stdout.strip()))
asyncio.run(main())
PY
out=$(cd / && env -i PATH=/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$tmp/py_client.py" \
      "$site/a0ipc/_gen" 2>&1) || fail "the installed Python package: $out"
echo "$out"
[ "$out" = "python3-a0ipc $project: health SERVING, files, commands.run as a0ipc" ] ||
  fail "the installed Python package said: $out"

# Programs built against the installed library, through pkg-config and find_package.
cc -std=c11 -Wall -Wextra -Werror "$consumer_src" $(pkg-config --cflags --libs a0ipc) \
  -o "$tmp/consumer-pc" || fail "building against liba0ipc-dev with pkg-config"
"$tmp/consumer-pc" "unix:/run/a0ipcd/a0ipcd.sock" >"$tmp/consumer.out" ||
  { cat "$tmp/consumer.out" >&2; fail "the pkg-config consumer"; }
cat "$tmp/consumer.out"
# Sessions run as the daemon's user, and the Files root is its state directory.
grep -qx "exec: a0ipc" "$tmp/consumer.out" || fail "Exec did not run as a0ipc"
mkdir "$tmp/cm"
cp "$consumer_src" "$tmp/cm/consumer.c"
cat >"$tmp/cm/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(a0ipc 0.1 CONFIG REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE a0ipc::a0ipc)
CMAKE
{ cmake -S "$tmp/cm" -B "$tmp/cm/build" && cmake --build "$tmp/cm/build"; } >"$tmp/cm.log" 2>&1 ||
  { cat "$tmp/cm.log" >&2; fail "building against liba0ipc-dev with find_package(a0ipc)"; }
"$tmp/cm/build/consumer" "unix:/run/a0ipcd/a0ipcd.sock" || fail "the CMake consumer"

kill -TERM "$pid"
wait "$pid" || fail "a0ipcd exited with $? after SIGTERM"
pid=""

# An upgrade (the same packages again: postinst configure with the old version) brings an
# enabled a0ipcd.socket back (dh_installsystemd --no-start leaves it stopped), and leaves a
# disabled one alone.
PATH="$tmp/shim:$PATH" dpkg -i "${debs[@]}" >"$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log" >&2; fail "dpkg -i (upgrade, socket disabled)"; }
! grep -q "a0ipcd.socket" "$tmp/invoked" ||
  fail "an upgrade started the disabled a0ipcd.socket: $(cat "$tmp/invoked")"
# enabled as an administrator does it (systemctl enable works without a running systemd)
systemctl enable a0ipcd.socket >/dev/null 2>&1 ||
  fail "systemctl enable a0ipcd.socket: $(systemctl enable a0ipcd.socket 2>&1)"
PATH="$tmp/shim:$PATH" dpkg -i "${debs[@]}" >"$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log" >&2; fail "dpkg -i (upgrade, socket enabled)"; }
grep -qx "restart a0ipcd.socket" "$tmp/invoked" ||
  fail "an upgrade did not restart the enabled a0ipcd.socket (invoked: $(cat "$tmp/invoked"))"
echo "upgrade: the enabled a0ipcd.socket is restarted, a disabled one left alone"

# What an agent leaves in the state directory goes on purge too, and so does the runtime
# directory (RuntimeDirectoryPreserve=) with the daemon's socket in it.
echo work >/var/lib/a0ipcd/agent-file

# Purge, and look for leftovers.
dpkg --purge "${packages[@]}" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg --purge"; }
installed=no
for p in "${packages[@]}"; do
  state=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ -z "$state" ] || [ "$state" = "unknown ok not-installed" ] || fail "$p is still known to dpkg: $state"
done
left=()
while read -r f; do
  # Directories that other packages share (/usr/share/man/man8, ...) may stay.
  if [ -e "$f" ] && [ ! -d "$f" ] || { [ -d "$f" ] && [[ $f == *a0ipc* ]]; }; then
    left+=("$f")
  fi
done < <(sort -u "$tmp/files")
for f in /etc/a0ipc /var/lib/a0ipcd /run/a0ipcd \
         /etc/systemd/system/multi-user.target.wants/a0ipcd.service \
         /etc/systemd/system/sockets.target.wants/a0ipcd.socket \
         /var/lib/systemd/deb-systemd-helper-enabled/a0ipcd.service.dsh-also \
         /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/a0ipcd.service \
         /var/lib/systemd/deb-systemd-helper-enabled/a0ipcd.socket.dsh-also \
         /var/lib/systemd/deb-systemd-helper-enabled/sockets.target.wants/a0ipcd.socket; do
  [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done
[ ${#left[@]} -eq 0 ] || fail "left behind after purge: ${left[*]}"
getent passwd a0ipc >/dev/null && echo "purged: nothing left but the system user a0ipc (policy)"
echo "debian package: OK"
