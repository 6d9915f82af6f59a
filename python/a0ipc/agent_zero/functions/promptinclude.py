"""The prompt-include plugin's scan (``plugins/_promptinclude/helpers/scanner.py``):
``scan_promptinclude_files``, run at every system-prompt build.

One ListDir of the tree (as deep as ``max_depth`` lets ``os.walk`` go) and one Read per matched
file go to a0ipcd; the walk's rules, the gitignore matching and the token budgets run here:
directories at depth >= max_depth are not entered, ignored directories are pruned (matched as
``rel`` or ``rel/``), files matched by name with ``fnmatch`` and then against the ignore spec,
symlinks to directories listed but not entered (os.walk without followlinks), the matches sorted
by path, blank files dropped, a file over ``max_file_tokens`` or over the remaining budget
cropped with the framework's ``helpers.tokens.trim_to_tokens``. The ignore spec is pathspec's
``gitwildmatch`` when pathspec is importable (Agent Zero's venv has it), else the equivalent
translation below.
"""
import fnmatch
import os
import posixpath
import re


def _tokens():
    from helpers import tokens
    return tokens


# ---- gitignore ("gitwildmatch") patterns ----

def _translate(pattern):
    """(regex, include) of one gitwildmatch pattern, or None for a pattern that matches
    nothing: git's gitignore rules, translated as pathspec's GitWildMatchPattern does."""
    if not pattern or pattern.startswith("#") or pattern == "/":
        return None
    include = True
    if pattern.startswith("!"):
        include, pattern = False, pattern[1:]
    if pattern.startswith("\\"):
        pattern = pattern[1:]
    segs = pattern.split("/")
    if not segs[0]:
        del segs[0]  # "/x": anchored at the root
    elif len(segs) == 1 or (len(segs) == 2 and not segs[1]):
        if segs[0] != "**":
            segs.insert(0, "**")  # no inner slash: at any depth
    if not segs:
        return None
    if not segs[-1] and len(segs) > 1:
        segs[-1] = "**"  # "dir/": everything inside
    out, need_slash, end = ["^"], False, len(segs) - 1
    for i, seg in enumerate(segs):
        if seg == "**":
            if i == 0 and i == end:
                out.append("[^/]+(?:/.*)?")
            elif i == 0:
                out.append("(?:.+/)?")
                need_slash = False
            elif i == end:
                out.append("/.*")
            else:
                out.append("(?:/.+)?")
                need_slash = True
        else:
            if need_slash:
                out.append("/")
            out.append("[^/]+" if seg == "*" else _segment(seg))
            if i == end:
                out.append("(?:/.*)?")
            need_slash = True
    out.append("$")
    return re.compile("".join(out), re.DOTALL), include


def _segment(seg):
    out, i = [], 0
    while i < len(seg):
        c = seg[i]
        if c == "\\" and i + 1 < len(seg):
            out.append(re.escape(seg[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = seg.find("]", i + 2 if seg[i + 1:i + 2] in ("!", "^") else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = seg[i + 1:j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


class _Spec:
    def __init__(self, lines):
        self.patterns = [p for p in (_translate(line) for line in lines) if p]

    def match_file(self, path):
        matched = False
        for regex, include in self.patterns:
            if regex.match(path):
                matched = include
        return matched


def _ignore_spec(gitignore):
    if not gitignore or not gitignore.strip():
        return None
    lines = [line.strip() for line in gitignore.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    if not lines:
        return None
    try:
        from pathspec import PathSpec
    except ImportError:
        return _Spec(lines)
    return PathSpec.from_lines("gitwildmatch", lines)


# ---- the walk ----

async def _matching(fs, root, name_pattern, max_depth, spec):
    """The files os.walk(root) yields that the scanner keeps, one ListDir per directory
    entered (ignored directories are never listed)."""
    from a0ipc.agent_zero.functions._fs import Info
    root = os.path.abspath(root)
    if not await fs.isdir(root):
        return []
    results = []

    async def walk(rel_dir, depth):
        if depth >= max_depth:
            return
        try:
            listing = await fs.listdir(os.path.join(root, rel_dir) if rel_dir else root, 1, True)
        except OSError:
            return  # os.walk's onerror default: the directory is skipped
        dirs, files = [], []
        for e in listing.entries:
            info = Info(e)
            rel = posixpath.join(rel_dir, e.name) if rel_dir else e.name
            if info.is_link:
                st = await fs._try(fs.stat(os.path.join(root, rel)))
                if st is not None and st.is_dir:
                    continue  # in dirnames, but never entered (followlinks=False)
                files.append(rel)
            elif info.is_dir:
                dirs.append(rel)
            else:
                files.append(rel)
        if spec:
            dirs = [d for d in dirs if not (spec.match_file(d) or spec.match_file(d + "/"))]
        for rel in files:
            if not fnmatch.fnmatch(posixpath.basename(rel), name_pattern):
                continue
            if spec and spec.match_file(rel):
                continue
            results.append(os.path.join(root, rel))
        for d in dirs:
            await walk(d, depth + 1)

    await walk("", 0)
    return results


async def scan_promptinclude_files(fs, root, *, name_pattern="*.promptinclude.md", max_depth=10,
                                   max_file_tokens=2000, max_file_count=50,
                                   max_total_tokens=8000, gitignore=""):
    """scanner.scan_promptinclude_files: {files: [{path, content, token_count, status}],
    skipped_count}."""
    tokens = _tokens()
    matched = sorted(await _matching(fs, root, name_pattern, max_depth, _ignore_spec(gitignore)))
    files, used, skipped, exhausted = [], 0, 0, False

    def add(path, content, count, status):
        files.append({"path": path, "content": content, "token_count": count,
                      "status": status})

    for path in matched:
        if exhausted or len(files) >= max_file_count:
            skipped += 1
            continue
        try:
            raw = (await fs.read_bytes(path)).decode("utf-8", "replace") \
                .replace("\r\n", "\n").replace("\r", "\n")
        except OSError:
            skipped += 1
            continue
        if not raw.strip():
            continue
        count = tokens.count_tokens(raw)
        path_cost = tokens.count_tokens(path) + 5
        if used + path_cost > max_total_tokens:
            skipped += 1
            exhausted = True
            continue
        capped = min(count, max_file_tokens)
        if used + path_cost + capped > max_total_tokens:
            remaining = max_total_tokens - used - path_cost
            if remaining > 50:
                cut = tokens.trim_to_tokens(raw, remaining, direction="start")
                cut_count = tokens.count_tokens(cut)
                used += path_cost + cut_count
                add(path, cut, cut_count, "cropped")
            else:
                add(path, "", 0, "skipped")
            exhausted = True
            continue
        if capped < count:
            cut = tokens.trim_to_tokens(raw, max_file_tokens, direction="start")
            cut_count = tokens.count_tokens(cut)
            used += path_cost + cut_count
            add(path, cut, cut_count, "cropped")
        else:
            used += path_cost + count
            add(path, raw, count, "ok")
    rest = len(matched) - len(files) - skipped
    if rest > 0:
        skipped += rest
    return {"files": files, "skipped_count": skipped}
