#!/usr/bin/env bash
# scripts/check-proto-compat in a throwaway repository holding a copy of proto/: compatible
# against the tag v0.1.0, a renumbered field is reported and fails, an added field passes, and
# without the tag a branch is compared with main.
# usage: test_proto_compat.sh SOURCE_DIR BUF
set -euo pipefail
src=$1
buf=$2
tmp=$(mktemp -d /tmp/a0ipc-compat-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/repo/scripts"
cp -r "$src/proto" "$tmp/repo/"
cp "$src/scripts/check-proto-compat" "$tmp/repo/scripts/"
cd "$tmp/repo"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 A0IPC_BUF=$buf
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
git init -q -b main .
git add -A
git commit -qm "contract"

# On main without the tag: nothing to compare, and it says so.
out=$(scripts/check-proto-compat 2>&1) || fail "main without a tag: $out"
grep -q "nothing to compare" <<<"$out" || fail "main without a tag said: $out"

# A branch that renumbers a field, against main.
git checkout -q -b change
sed -i 's/  uint64 size = 4;/  uint64 size = 14;/' proto/a0/runtime/v1/files.proto
grep -q "uint64 size = 14;" proto/a0/runtime/v1/files.proto || fail "the test's edit did not apply"
if out=$(scripts/check-proto-compat 2>&1); then fail "a renumbered field passed: $out"; fi
grep -q 'Previously present field "4" with name "size"' <<<"$out" || fail "no reason given: $out"
grep -q "main (merge-base" <<<"$out" || fail "not compared with main: $out"

# With the release tag, against it: the same change fails, an added field passes.
git checkout -q proto && git checkout -q main
git tag v0.1.0
git checkout -q change
if out=$(scripts/check-proto-compat 2>&1); then :; else fail "unchanged proto failed: $out"; fi
grep -q "compatible with the release v0.1.0" <<<"$out" || fail "not against the tag: $out"
sed -i 's/  uint64 size = 4;/  uint64 size = 14;/' proto/a0/runtime/v1/files.proto
if out=$(scripts/check-proto-compat 2>&1); then fail "renumbered field passed vs v0.1.0"; fi
grep -q "breaks compatibility with the release v0.1.0" <<<"$out" || fail "said: $out"
git checkout -q proto
sed -i 's/^message StatRequest {$/message StatRequest {\n  \/\/ Added later.\n  bool added_later = 99;/' \
  proto/a0/runtime/v1/files.proto
grep -q "added_later = 99" proto/a0/runtime/v1/files.proto || fail "the test's edit did not apply"
out=$(scripts/check-proto-compat 2>&1) || fail "an added field failed: $out"
echo "check-proto-compat: OK (tag, main fallback, breaking and compatible changes)"
