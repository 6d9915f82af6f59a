#!/usr/bin/env bash
# A manual page must render without groff warnings and name every long option that the
# program's --help lists (and each COMMAND's `PROGRAM COMMAND --help`), so the page cannot fall
# behind the program.
# usage: check_man.sh PROGRAM PAGE [COMMAND]...
set -euo pipefail
prog=$1
page=$2
shift 2
warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1 || true)
if [ -n "$warnings" ]; then
  echo "$page: groff warnings:" >&2
  echo "$warnings" >&2
  exit 1
fi
if grep -q '@[A-Z_]*@' "$page"; then
  echo "$page: placeholders left unreplaced: $(grep -o '@[A-Z_]*@' "$page" | sort -u | tr '\n' ' ')" >&2
  exit 1
fi
# In the page source a hyphen is written \-.
text=$(sed 's/\\-/-/g' "$page")
options=$({
  "$prog" --help
  for cmd in "$@"; do
    "$prog" "$cmd" --help || true # some print their usage with a non-zero status
  done
} 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
for cmd in "$@"; do
  # In bold: a .B/.BI/.BR line naming it, or \fBcmd\fP inline (hyphens as written, \-).
  grep -qE '^\.B.*\b'"$cmd"'\b|\\fB'"$cmd"'\\fP' <<<"$text" ||
    { echo "$page does not document the command $cmd" >&2; exit 1; }
done
[ -n "$options" ] || { echo "$prog --help lists no options" >&2; exit 1; }
missing=0
for o in $options; do
  if ! grep -q -- "$o\\b" <<<"$text"; then
    echo "$page does not document $o (from $prog --help)" >&2
    missing=1
  fi
done
[ $missing -eq 0 ] || exit 1
echo "$page: renders cleanly, documents all $(wc -w <<<"$options") options of $(basename "$prog")${*:+ and its commands $*}"
