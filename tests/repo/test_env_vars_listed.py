"""tests/repo/documented_env_vars.txt lists every A0IPC_* environment variable there is, so that
.ci/run, which sets each of them to junk before running the suite, junks a new one too.

"There is" means: named in docs/ or README.md, or read by the product (a string literal
"A0IPC_X" in src/ or python/). Names that are not environment variables are left out: C
identifiers (written outside string literals in src/, include/, tools/) and CMake options and
cache variables (option(), set(... CACHE), -D). Run by ctest (repo_env_vars_listed)."""
import os
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.environ.get("A0IPC_SOURCE_DIR") or os.path.join(HERE, "..", ".."))
LIST = os.path.join(HERE, "documented_env_vars.txt")
NAME = r"A0IPC_[A-Z0-9_]*[A-Z0-9]"
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def files_under(*dirs, ext=None):
    for d in dirs:
        top = os.path.join(SOURCE, d)
        if os.path.isfile(top):
            yield top
            continue
        for root, subdirs, names in os.walk(top):
            subdirs[:] = [s for s in subdirs if s not in ("__pycache__", "node_modules")]
            for n in names:
                if ext is None or n.endswith(ext):
                    yield os.path.join(root, n)


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        return ""


def listed():
    with open(LIST, encoding="utf-8") as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def c_identifiers():
    names = set()
    for p in files_under("src", "include", "tools", ext=(".c", ".h")):
        code = STRING.sub('""', C_COMMENT.sub(" ", read(p)))
        names |= set(re.findall(r"\b" + NAME + r"\b", code))
    return names


def cmake_variables():
    names = set()
    for p in list(files_under("cmake", ext=".cmake")) + [os.path.join(SOURCE, "CMakeLists.txt")]:
        text = read(p)
        names |= set(re.findall(r"\boption\(\s*(" + NAME + r")\b", text))
        names |= set(re.findall(r"\bset\(\s*(" + NAME + r")\b[^)]*\bCACHE\b", text))
    for p in files_under("docs", "README.md", "scripts"):
        names |= set(re.findall(r"-D(" + NAME + r")\b", read(p)))
    return names


def documented():
    names = set()
    for p in files_under("docs", "README.md"):
        names |= set(re.findall(r"\b" + NAME + r"\b", read(p)))
    names -= c_identifiers() | cmake_variables()
    for p in files_under("src", "python", ext=(".c", ".h", ".py")):
        names |= set(re.findall(r'["\'](' + NAME + r')["\']', read(p)))
    return names


class EnvVarsListed(unittest.TestCase):
    def test_every_documented_variable_is_listed(self):
        missing = sorted(documented() - listed())
        self.assertEqual(missing, [], "add them to %s" % LIST)

    def test_every_listed_variable_is_documented(self):
        stale = sorted(listed() - documented())
        self.assertEqual(stale, [], "no longer documented or read; remove them from %s" % LIST)

    def test_the_scan_finds_the_known_ones(self):
        found = documented()
        for name in ("A0IPC_TARGET", "A0IPC_TOKEN_FILE", "A0IPC_BACKEND", "A0IPC_ROUTER_MODE"):
            self.assertIn(name, found)
        for name in ("A0IPC_OK", "A0IPC_LEGACY", "A0IPC_FILES_CHUNK_MAX"):
            self.assertNotIn(name, found)


if __name__ == "__main__":
    unittest.main()
