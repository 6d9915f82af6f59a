"""The text editor plugin's file operations (``plugins/_text_editor/helpers/file_ops.py``):
read_file, file_info, write_file, apply_patch.

The file work (stat, read, write) goes to a0ipcd; the rest runs here as in Agent Zero: ``~``
expanded for this host's user, a NUL byte in the first 8 KiB means binary, text read as UTF-8
with replacement and universal newlines, lines numbered right-aligned to the width of the last
line number, token budgets counted with the framework's own ``helpers.tokens`` (tiktoken,
cl100k_base: tokens are a framework matter). apply_patch keeps Agent Zero's patch semantics
(1-based inclusive ranges, inserts before a line, a newline added to content that lacks one,
edits past the end appended) and its side effect: the file is replaced by a new one with mode
0600, as ``mkstemp`` + ``shutil.move`` leave it.
"""
import os

from a0ipc.agent_zero.functions.file_browser import text_of

BINARY_PEEK = 8192


def _tokens():
    from helpers import tokens
    return tokens


async def file_info(fs, path):
    """file_ops.file_info"""
    path = os.path.expanduser(path)
    real = await fs.realpath(path)
    st = await fs._try(fs.stat(path))
    return {"exists": st is not None, "is_file": st is not None and st.is_file,
            "realpath": real, "expanded": path,
            "mtime": st.st_mtime if st is not None else None}


def _lines(text):
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


async def read_file(fs, path, line_from=1, line_to=None, max_line_tokens=500,
                    default_line_count=100, max_total_read_tokens=4000):
    """file_ops.read_file: {content, total_lines, warnings, error}; errors as text."""
    def failed(error):
        return {"content": "", "total_lines": 0, "warnings": "", "error": error}

    path = os.path.expanduser(path)
    if not await fs.isfile(path):
        return failed("file not found")
    try:
        data = await fs.read_bytes(path)
    except OSError as exc:  # the binary sniff swallows a read failure; the read reports it
        return failed(str(exc))
    if b"\x00" in data[:BINARY_PEEK]:
        return failed("file appears binary, use terminal instead")
    all_lines = _lines(text_of(data, "replace"))
    tokens = _tokens()

    total_lines = len(all_lines)
    line_from = max(line_from, 1)
    if line_to is None:
        line_to = line_from + default_line_count - 1
    line_to = min(line_to, total_lines)
    selected = all_lines[line_from - 1:line_to]
    width = len(str(line_to))

    out, cropped, used, cut = [], [], 0, False
    for i, raw in enumerate(selected):
        number = line_from + i
        text = raw.rstrip("\n").rstrip("\r")
        count = tokens.count_tokens(text)
        if count > max_line_tokens:
            per_token = max(len(text) / count, 1)
            text = text[:int(max_line_tokens * per_token * tokens.TRIM_BUFFER)] + "..."
            cropped.append(number)
            count = max_line_tokens
        if used + count > max_total_read_tokens:
            cut = True
            break
        used += count
        out.append("%*d %s" % (width, number, text))

    warnings = []
    if cropped:
        warnings.append("long lines %s cropped - use terminal for precise manipulation"
                        % " ".join(str(n) for n in cropped))
    if cut:
        warnings.append("output trimmed at line %d due to token limit"
                        " - use line_from/line_to for remaining" % (line_from + len(out)))
    return {"content": "\n".join(out), "total_lines": total_lines,
            "warnings": ("\nwarning: " + "; ".join(warnings)) if warnings else "",
            "error": ""}


def _count_lines(content):
    return content.count("\n") + (1 if content and not content.endswith("\n") else 0)


async def write_file(fs, path, content):
    """file_ops.write_file: {total_lines, error}."""
    content = "" if content is None else content
    path = os.path.expanduser(path)
    try:
        await fs.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        await fs.write_bytes(path, content.encode("utf-8"))
    except OSError as exc:
        return {"total_lines": 0, "error": str(exc)}
    return {"total_lines": _count_lines(content), "error": ""}


async def apply_patch(fs, path, edits):
    """file_ops.apply_patch: validated, sorted edits applied; the new line count."""
    edits = [dict(e) for e in edits]
    for e in edits:
        if e["content"] and not e["content"].endswith("\n"):
            e["content"] += "\n"
    data = await fs.read_bytes(path)
    src = _lines(text_of(data, "replace"))
    out, written, k, n = [], 0, 0, 1

    def put(text):
        nonlocal written
        if text:
            out.append(text)
            written += _count_lines(text)

    for line in src:
        while k < len(edits) and edits[k]["insert"] and edits[k]["from"] == n:
            put(edits[k]["content"])
            k += 1
        if k < len(edits) and not edits[k]["insert"] and edits[k]["from"] <= n <= edits[k]["to"]:
            if n == edits[k]["from"]:
                put(edits[k]["content"])
            if n == edits[k]["to"]:
                k += 1
            n += 1
            continue
        out.append(line)
        written += 1
        n += 1
    while k < len(edits):
        put(edits[k]["content"])
        k += 1
    # shutil.move of the mkstemp file: a new file, mode 0600, in place of the file (or of the
    # symlink itself)
    await fs.write_bytes(path, "".join(out).encode("utf-8"), mode=0o600, follow=False)
    return written
