"""Stand-in of the prompt-include plugin's helpers/scanner.py (signature only)."""


def scan_promptinclude_files(root, *, name_pattern="*.promptinclude.md", max_depth=10,
                             max_file_tokens=2000, max_file_count=50, max_total_tokens=8000,
                             gitignore=""):
    raise AssertionError("ran in the framework process")
