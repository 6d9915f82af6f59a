"""Stand-in of the text editor plugin's helpers/file_ops.py (signatures only)."""


def file_info(path):
    raise AssertionError("ran in the framework process")


def read_file(path, line_from=1, line_to=None, max_line_tokens=500, default_line_count=100,
              max_total_read_tokens=4000):
    raise AssertionError("ran in the framework process")


def write_file(path, content):
    raise AssertionError("ran in the framework process")


def validate_edits(edits):
    raise AssertionError("ran in the framework process")


def apply_patch(path, edits):
    raise AssertionError("ran in the framework process")
