#!/bin/sh
# The probe of environment_isolated (tests/CMakeLists.txt): run by a nested ctest whose caller
# set A0IPC_* junk, it must see only what its ENVIRONMENT property set (A0IPC_PROBE=kept).
if [ "${A0IPC_PROBE:-}" != kept ]; then
  echo "env_probe: the test's own ENVIRONMENT (A0IPC_PROBE=kept) did not arrive" >&2
  exit 1
fi
leaked=$(env | grep -E '^A0IPC(_|D=)' | grep -v '^A0IPC_PROBE=kept$')
if [ -n "$leaked" ]; then
  echo "env_probe: the caller's A0IPC_* variables reach the tests:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "env_probe: only the test's own A0IPC_PROBE"
