#!/usr/bin/env bash
# The systemd files as installed: `systemd-analyze verify` must have nothing to say about
# a0ipcd.service and a0ipcd.socket (it prints unknown keys and bad values but still exits 0, so
# any output fails),
# its sandbox must stay at or below an exposure of 2.5 (`systemd-analyze security --offline`),
# and the sysusers.d file must create the a0ipc user and group in an empty root.
# The unit names the installed daemon; verify needs that file to exist, so a copy of the unit
# points at the staged one, and MANPATH at the staged manual pages (Documentation=man:...).
# usage: check_units.sh STAGE   (a DESTDIR of `cmake --install`)
# env:   UNIT_DIR SYSUSERS_DIR SBINDIR MANDIR (the install paths)
set -euo pipefail
stage=$1
command -v systemd-analyze >/dev/null || {
  echo "systemd-analyze not found: install the systemd package (scripts/bootstrap)" >&2
  exit 1
}
tmp=$(mktemp -d /tmp/a0ipc-units-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

unit=$stage$UNIT_DIR/a0ipcd.service
grep -q "^ExecStart=$SBINDIR/a0ipcd " "$unit" || {
  echo "$unit: ExecStart does not name $SBINDIR/a0ipcd" >&2
  exit 1
}
mkdir "$tmp/ok" "$tmp/broken"
sed "s|^ExecStart=$SBINDIR/a0ipcd |ExecStart=$stage$SBINDIR/a0ipcd |" "$unit" >"$tmp/ok/a0ipcd.service"
cp "$stage$UNIT_DIR/a0ipcd.socket" "$tmp/ok/a0ipcd.socket"
grep -q '^ListenStream=/run/a0ipcd/a0ipcd.sock$' "$tmp/ok/a0ipcd.socket" ||
  { echo "a0ipcd.socket does not listen where the default configuration does" >&2; exit 1; }

verify() {
  MANPATH=$stage$MANDIR systemd-analyze verify --man=yes "$@" 2>&1
}

# The check must be able to fail: a misspelt key is reported.
sed 's/^ProtectHome=/ProtectHomee=/' "$tmp/ok/a0ipcd.service" >"$tmp/broken/a0ipcd.service"
if [ -z "$(verify "$tmp/broken/a0ipcd.service" || true)" ]; then
  echo "systemd-analyze verify said nothing about a misspelt key: the check is blind" >&2
  exit 1
fi

if ! out=$(verify "$tmp/ok/a0ipcd.service" "$tmp/ok/a0ipcd.socket") || [ -n "$out" ]; then
  echo "systemd-analyze verify a0ipcd.service a0ipcd.socket:" >&2
  echo "$out" >&2
  exit 1
fi
echo "systemd-analyze verify: a0ipcd.service and a0ipcd.socket OK"

# Exposure is 0.0 (locked down) to 10.0 (unprotected); the threshold is in tenths.
if ! out=$(systemd-analyze security --offline=true --threshold=25 --no-pager \
           "$tmp/ok/a0ipcd.service" 2>&1); then
  echo "$out" >&2
  echo "a0ipcd.service: the sandbox is weaker than exposure 2.5" >&2
  exit 1
fi
echo "$out" | grep "Overall exposure level"

mkdir -p "$tmp/root/etc"
systemd-sysusers --root="$tmp/root" "$stage$SYSUSERS_DIR/a0ipcd.conf" >/dev/null 2>&1
grep -q '^a0ipc:x:[0-9]*:[0-9]*:[^:]*:/var/lib/a0ipcd:' "$tmp/root/etc/passwd" || {
  echo "sysusers.d/a0ipcd.conf did not create the user a0ipc with home /var/lib/a0ipcd" >&2
  exit 1
}
grep -q '^a0ipc:x:' "$tmp/root/etc/group" || {
  echo "sysusers.d/a0ipcd.conf did not create the group a0ipc" >&2
  exit 1
}
echo "sysusers.d/a0ipcd.conf: creates a0ipc"
