#!/usr/bin/env python3
"""liba0ipc's ABI is what include/a0ipc/*.h declares: checks that the functions declared there,
the version script's global list and the dynamic symbols the built library defines are the same
three sets, and that the library's soname is liba0ipc.so.1.

The headers are read after the C preprocessor ($CC, else cc), because the wrappers of the
transport's operations are declared from one list (a0ipc/transport_ops.h); so is the version
script, which the build makes from src/lib/liba0ipc.map.in.

usage: check_exports.py INCLUDE_DIR VERSION_SCRIPT LIBRARY
"""
import glob
import os
import re
import subprocess
import sys

SONAME = "liba0ipc.so.1"

# One top-level declaration of the preprocessed headers (they are split at ; { and }): a function
# is a name followed by its parameter list, where a member or typedef of a function pointer has
# "(*" instead. Typedefs and static inline helpers are not symbols of the library.
DECL = re.compile(r"^(?!static\b|typedef\b|extern\b)[\w \*]*?\b(a0ipc_\w+)\s*\((?!\s*\*)")


def header_functions(include_dir):
    headers = sorted(glob.glob(os.path.join(include_dir, "a0ipc", "*.h")))
    source = "".join(f'#include "{os.path.relpath(h, include_dir)}"\n' for h in headers)
    text = subprocess.run([os.environ.get("CC", "cc"), "-E", "-P", "-x", "c", "-I", include_dir,
                           "-"], input=source, check=True, capture_output=True, text=True).stdout
    names = set()
    for decl in re.split(r"[;{}]", text):
        m = DECL.match(" ".join(decl.split()))
        if m:
            names.add(m.group(1))
    return names


def script_globals(path):
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    m = re.search(r"global:(.*?)local:", text, flags=re.S)
    if not m:
        sys.exit(f"{path}: no global: ... local: section")
    return {n.strip() for n in m.group(1).split(";") if n.strip()}


def library_exports(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True,
                         text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":  # "A" is the version node itself
            names.add(parts[2].split("@")[0])
    return names


def soname(lib):
    out = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[(.*?)\]", out)
    return m.group(1) if m else None


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    include_dir, script, lib = sys.argv[1:]
    headers, listed, exported = header_functions(include_dir), script_globals(script), \
        library_exports(lib)
    problems = []
    if not headers:
        problems.append(f"no function declarations found under {include_dir}/a0ipc")
    for name in sorted(headers - listed):
        problems.append(f"{name}: declared in a public header but not in {script}")
    for name in sorted(listed - headers):
        problems.append(f"{name}: in {script} but declared in no public header")
    for name in sorted(listed - exported):
        problems.append(f"{name}: listed but not defined by {lib} (not linked in?)")
    for name in sorted(exported - listed):
        problems.append(f"{name}: exported by {lib} but not part of the ABI")
    if soname(lib) != SONAME:
        problems.append(f"{lib}: soname is {soname(lib)}, not {SONAME}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(exported)} functions exported, all declared in the headers and listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
