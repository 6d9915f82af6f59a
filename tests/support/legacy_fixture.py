"""The fixture tree of tests/fixtures/legacy/README.md, and the comparison rules of
docs/legacy-protocol.md ("Comparing answers"), for the Python tests that replay
files_transcripts.json (tests/interop, tests/legacy, tests/python). Standard library only."""
import os

MTIME = 1700000000

FILES = {
    "a.txt": b"hello\n",
    "B.md": b"# title\n",
    ".hidden": b"secret\n",
    "bin.dat": bytes(range(256)),
    "empty": b"",
    "sub/one.txt": b"one\n",
    "sub/deeper/two.txt": b"two\n" * 100,
    "Zeta/z.txt": b"z",
    "utf8-été.txt": "café ☕\n".encode(),
}


def build_fixture(root):
    """The tree in root (an existing, empty directory), plus the empty directory emptydir."""
    os.makedirs(os.path.join(root, "emptydir"))
    for rel, data in FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def reset_mtimes(root):
    """The recorded run shows 1700000000 even for what it created: its harness set the mtimes
    back before each step; so do the replays."""
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(top, name), (MTIME, MTIME), follow_symlinks=False)
    os.utime(root, (MTIME, MTIME))


def subst(value, root):
    """A transcript value with $ROOT replaced by the fixture's root, all the way down."""
    if isinstance(value, str):
        return value.replace("$ROOT", root)
    if isinstance(value, list):
        return [subst(v, root) for v in value]
    if isinstance(value, dict):
        return {k: subst(v, root) for k, v in value.items()}
    return value


def comparable_message(message, path_args):
    """The rule of docs/legacy-protocol.md: the message up to the first ':' that follows the last
    path it names (what follows is Python's reason, worded by the platform)."""
    end = 0
    for p in path_args:
        i = message.find(p, end)
        if i >= 0:
            end = i + len(p)
    colon = message.find(":", end)
    return message if colon < 0 else message[:colon]
