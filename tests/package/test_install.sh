#!/usr/bin/env bash
# `cmake --install` into a staging directory (DESTDIR), then use what was installed as a user
# would: every expected file is there, the staged a0ipcd serves with the installed default
# configuration (on a temporary socket), the staged a0ipc says SERVING, and a program built only
# from the installed headers and library, once through pkg-config and once through
# find_package(a0ipc), says SERVING too.
# usage: test_install.sh STAGE CONSUMER_SOURCE
# env:   PREFIX BINDIR SBINDIR LIBDIR INCLUDEDIR MANDIR DATAROOTDIR SYSCONFDIR UNIT_DIR SYSUSERS_DIR
#        (absolute install paths), CONSUMER_FLAGS (compiler flags the library needs of a
#        program, e.g. the sanitizers of this build)
set -euo pipefail
stage=$1
consumer_src=$2
tmp=$(mktemp -d /tmp/a0ipc-install-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The layout.
for f in "$SBINDIR/a0ipcd" "$BINDIR/a0ipc"; do
  [ -x "$stage$f" ] || fail "$f not installed"
done
[ -f "$stage$LIBDIR/liba0ipc.so.1" ] || fail "$LIBDIR/liba0ipc.so.1 not installed"
[ "$(readlink "$stage$LIBDIR/liba0ipc.so")" = liba0ipc.so.1 ] ||
  fail "$LIBDIR/liba0ipc.so is not the development link to liba0ipc.so.1"
for f in "$INCLUDEDIR/a0ipc/transport.h" "$INCLUDEDIR/a0ipc/grpc_transport.h" \
         "$INCLUDEDIR/a0ipc/status.h" "$INCLUDEDIR/a0ipc/version.h" \
         "$LIBDIR/pkgconfig/a0ipc.pc" "$LIBDIR/cmake/a0ipc/a0ipcConfig.cmake" \
         "$LIBDIR/cmake/a0ipc/a0ipcConfigVersion.cmake" "$LIBDIR/cmake/a0ipc/a0ipcTargets.cmake" \
         "$MANDIR/man8/a0ipcd.8" "$MANDIR/man1/a0ipc.1" "$SYSCONFDIR/a0ipc/a0ipcd.conf" \
         "$UNIT_DIR/a0ipcd.service" "$UNIT_DIR/a0ipcd.socket" "$SYSUSERS_DIR/a0ipcd.conf" \
         "$DATAROOTDIR/doc/a0ipcd/operations.md" \
         "$DATAROOTDIR/bash-completion/completions/a0ipc" \
         "$DATAROOTDIR/zsh/vendor-completions/_a0ipc" \
         "$DATAROOTDIR/fish/vendor_completions.d/a0ipc.fish" \
         "$DATAROOTDIR/a0ipc/python/pyproject.toml" \
         "$DATAROOTDIR/a0ipc/python/a0ipc/agent_zero/install.py" \
         "$DATAROOTDIR/a0ipc/python/a0ipc/_gen/a0/runtime/v1/files_pb2.py" \
         "$DATAROOTDIR/a0ipc/proto/a0/runtime/v1/files.proto"; do
  [ -f "$stage$f" ] || fail "$f not installed"
done
# Nothing of the build's internals: no static libraries, no generated or private headers.
extra=$(cd "$stage" && find . -name '*.a' -o -name '*.pb-c.h' -o -name 'server.h' | head -5)
[ -z "$extra" ] || fail "internals installed: $extra"
echo "layout: OK"

# The staged daemon with the installed default configuration, on a temporary socket and with a
# temporary Files root (the configured one belongs to the service). Its allow-gid names the
# group a0ipc, which exists only once systemd-sysusers has run (the package does it; the
# debian_package test runs the file as it is): here that one line is left out.
sock=$tmp/a0ipcd.sock
mkdir "$tmp/root"
grep -v '^allow-gid = a0ipc$' "$stage$SYSCONFDIR/a0ipc/a0ipcd.conf" >"$tmp/a0ipcd.conf"
"$stage$SBINDIR/a0ipcd" --config "$tmp/a0ipcd.conf" \
  --listen "unix:$sock" --root "$tmp/root" --ready-file "$tmp/ready" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do
  [ -f "$tmp/ready" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/log" >&2; fail "a0ipcd exited at start"; }
  sleep 0.1
done
[ -f "$tmp/ready" ] || { cat "$tmp/log" >&2; fail "a0ipcd did not become ready in 10 s"; }
out=$("$stage$BINDIR/a0ipc" health --target "unix:$sock") || fail "a0ipc health: $out"
[ "$out" = SERVING ] || fail "a0ipc health said $out"
echo "installed a0ipc health: $out"

export LD_LIBRARY_PATH=$stage$LIBDIR
# shellcheck disable=SC2206
cflags=(${CONSUMER_FLAGS:-})

# Through pkg-config, with the staging directory as the sysroot of the installed paths.
pc=$(PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$stage$LIBDIR/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage \
     pkg-config --cflags --libs a0ipc) || fail "pkg-config a0ipc"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" "$consumer_src" $pc \
  -o "$tmp/consumer-pc" || fail "building against the installed library through pkg-config"
"$tmp/consumer-pc" "unix:$sock" || fail "the pkg-config consumer"

# Through find_package(a0ipc), from the staged prefix (the exported targets are relocatable).
mkdir "$tmp/cm"
cp "$consumer_src" "$tmp/cm/consumer.c"
cat >"$tmp/cm/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(a0ipc 0.1 CONFIG REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE a0ipc::a0ipc)
CMAKE
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$stage$PREFIX" \
  -DCMAKE_C_FLAGS="${CONSUMER_FLAGS:-}" -DCMAKE_EXE_LINKER_FLAGS="${CONSUMER_FLAGS:-}" \
  >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log" >&2; fail "find_package(a0ipc)"; }
cmake --build "$tmp/cm/build" >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log" >&2; fail "CMake consumer build"; }
"$tmp/cm/build/consumer" "unix:$sock" || fail "the CMake consumer"

# The public headers are also valid C++ (extern "C").
if command -v c++ >/dev/null; then
  printf '#include <a0ipc/%s>\n' transport.h grpc_transport.h router.h status.h version.h |
    c++ -std=c++17 -Wall -Werror -fsyntax-only -x c++ -I"$stage$INCLUDEDIR" - ||
    fail "the public headers do not compile as C++"
fi

kill -TERM "$pid"
wait "$pid" || fail "a0ipcd exited with $? after SIGTERM"
pid=""
echo "install tree: OK"
