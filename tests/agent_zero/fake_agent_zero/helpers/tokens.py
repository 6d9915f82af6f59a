"""Stand-in of Agent Zero's helpers/tokens.py for the tests (Agent Zero's counts with tiktoken's
cl100k_base, which is not installed here). count_tokens splits the text with cl100k_base's
pre-tokenizing rule and counts one token per piece, except the few pieces of the recorded
fixture that cl100k_base encodes as several tokens (a table). So it is exact for the fixture's
texts (live_calls.json records cl100k_base counts), not for text in general.
trim_to_tokens and the buffers: the same arithmetic as Agent Zero's."""
import re

APPROX_BUFFER = 1.1
TRIM_BUFFER = 0.8

_L = r"[^\W\d_]"
_PIECES = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    r"|[^\r\n\w]?" + _L + r"+|_?" + _L + r"+"
    r"|\d{1,3}"
    r"| ?[^\s\w]+[\r\n]*| ?_+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+")
# pieces that are more than one cl100k_base token (from the recorded counts)
_MULTI = {"caf\u00e9": 2, " \u2615\n": 3, " \u2615": 2, " toke": 2}


def count_tokens(text, encoding_name="cl100k_base"):
    if not text:
        return 0
    return sum(_MULTI.get(p, 1) for p in _PIECES.findall(text))


def approximate_tokens(text):
    return int(count_tokens(text) * APPROX_BUFFER)


def trim_to_tokens(text, max_tokens, direction, ellipsis="..."):
    total = count_tokens(text)
    if total <= max_tokens:
        return text
    keep = int(len(text) * (max_tokens / total) * TRIM_BUFFER)
    return text[:keep] + ellipsis if direction == "start" else ellipsis + text[len(text) - keep:]
