"""The repository stands on its own: no tracked file points a reader (or a test) at something
outside it or at a path that is not in the tree.

Checked over every tracked file (git ls-files; a tree without .git is walked instead):
  - no reference to the folders that once sat beside the repository (the forbidden names below);
  - every relative link of a Markdown file ([text](path) and [text](path#anchor)) names a file
    or directory that exists, and an anchor names a heading of that file;
  - every repo-relative path that starts with docs/ or tests/ exists: anywhere in C, headers,
    Python and CMake files (comments and docstrings cite them this way), in the comments of shell
    scripts, and in Markdown prose outside code blocks (a code block may name a path on the
    daemon's side, as the README's demo does with `a0ipc put`).
The checks themselves are proved on made-up text first (CheckerCatches), so that they cannot
pass by finding nothing.

Run by ctest (repo_self_contained) with the source directory as argument or A0IPC_SOURCE_DIR."""
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.environ.get("A0IPC_SOURCE_DIR") or os.path.join(HERE, "..", ".."))

# Written in pieces so that this file does not name them itself.
FORBIDDEN = [
    re.compile(re.escape("../" + "shared")),
    re.compile(re.escape("shared" + "/legacy")),
    re.compile(re.escape("shared" + "/agent-zero")),
    re.compile(re.escape("shared" + "/notes")),
    re.compile(r"\bDESIGN" + r"\.md\b"),
    # sections of a document that is not here, by number (a README, then the section sign)
    re.compile(r"(?<!fixtures/)legacy/" + r"README\.md"),
    re.compile(r"\bREADME(\.md)? " + "\u00a7"),
]

CODE_EXT = (".c", ".h", ".py", ".cmake", ".in", ".proto")
SKIP_DIRS = {".git", "node_modules"}
PATH_RE = re.compile(r"(?<![\w./$@<{-])((?:docs|tests)/[\w.@+-]+(?:/[\w.@+-]+)*/?)")
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True,
                             check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith("build")]
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
        return files


def read_text(root, rel):
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            return f.read()
    except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
        return None


def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(text):
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M)}


def markdown_prose(text):
    """The Markdown text outside fenced and indented code blocks, with the line numbers kept."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        elif fenced or line.startswith("    ") or line.startswith("\t"):
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def shell_comments(text):
    return "\n".join(line if line.lstrip().startswith("#") else "" for line in text.split("\n"))


def where(text, pos):
    return text.count("\n", 0, pos) + 1


def problems(root, rel, text):
    """Every problem of one file as "path:line: what"."""
    found = []
    for pat in FORBIDDEN:
        for m in pat.finditer(text):
            found.append("%s:%d: names %r, which is outside the repository or not in it"
                         % (rel, where(text, m.start()), m.group(0)))
    base = os.path.dirname(rel)
    if rel.endswith(".md"):
        prose = markdown_prose(text)
        for m in LINK_RE.finditer(prose):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto:, ...
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(base, path)) if path else rel
            if not os.path.exists(os.path.join(root, dest)):
                found.append("%s:%d: link to %s, which does not exist"
                             % (rel, where(prose, m.start()), target))
            elif anchor and dest.endswith(".md"):
                if anchor not in anchors(read_text(root, dest) or ""):
                    found.append("%s:%d: link to %s: %s has no heading #%s"
                                 % (rel, where(prose, m.start()), target, dest, anchor))
        scanned = prose
    elif rel.endswith(CODE_EXT) or os.path.basename(rel) == "CMakeLists.txt":
        scanned = text
    elif text.startswith("#!") and ("sh" in text.split("\n", 1)[0]):
        scanned = shell_comments(text)
    else:
        scanned = ""
    for m in PATH_RE.finditer(scanned):
        path = m.group(1).rstrip(".")
        if "*" in path or not os.path.exists(os.path.join(root, path)):
            if "*" in scanned[m.end():m.end() + 1]:
                continue  # a glob such as tests/python/test_py_*.py
            found.append("%s:%d: cites %s, which is not in the tree"
                         % (rel, where(scanned, m.start()), path))
    return found


class RepositoryIsSelfContained(unittest.TestCase):
    def test_no_file_points_outside_or_at_a_missing_path(self):
        files = tracked_files(SOURCE)
        self.assertGreater(len(files), 50, "no files found under %s" % SOURCE)
        found = []
        for rel in files:
            text = read_text(SOURCE, rel)
            if text is not None:
                found += problems(SOURCE, rel, text)
        self.assertEqual(found, [], "\n" + "\n".join(found))


class CheckerCatches(unittest.TestCase):
    """The checks find what they are meant to find (on made-up files in the real tree)."""

    def check(self, rel, text):
        return problems(SOURCE, rel.replace("DOCS", "docs/"), text)

    def test_forbidden_names(self):
        for bad in ("see ../" + "shared/x", "shared" + "/legacy/rfc_vectors.json",
                    "the " + "DESIGN" + ".md says", "legacy/" + "README.md \u00a72",
                    "data in shared" + "/agent-zero/"):
            self.assertTrue(self.check("src/x.c", "/* %s */\n" % bad), bad)

    def test_missing_paths_in_comments(self):
        self.assertTrue(self.check("src/x.c", "/* see docs/" "no-such-page.md */\n"))
        self.assertTrue(self.check("python/a0ipc/x.py", "# tests/" "no/such_file.py\n"))
        self.assertTrue(self.check("scripts/x", "#!/bin/sh\n# docs/" "nothing.md\n"))
        self.assertFalse(self.check("src/x.c", "/* docs/architecture.md, tests/fixtures/ */\n"))
        self.assertFalse(self.check("scripts/x", "#!/bin/sh\necho put x docs/" "README.md\n"))

    def test_markdown_links_and_anchors(self):
        self.assertTrue(self.check("DOCSx.md", "[a](no-such.md)\n"))
        self.assertTrue(self.check("DOCSx.md", "[a](legacy-protocol.md#no-such-heading)\n"))
        self.assertFalse(self.check("DOCSx.md", "[a](legacy-protocol.md#rfc-over-http)\n"))
        self.assertFalse(self.check("DOCSx.md", "[a](https://example.org/x.md)\n"))
        self.assertTrue(self.check("DOCSx.md", "Prose citing `docs/" "gone.md`.\n"))
        self.assertFalse(self.check("README.md", "    a0ipc put README.md docs/" "README.md\n"))


if __name__ == "__main__":
    if len(sys.argv) > 1 and os.path.isdir(sys.argv[1]):
        SOURCE = os.path.abspath(sys.argv.pop(1))
    unittest.main()
