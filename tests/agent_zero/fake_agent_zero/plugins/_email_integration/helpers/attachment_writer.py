"""Stand-in of the _email_integration plugin's helpers/attachment_writer.py (signature only)."""


def write_attachment(rel_path, content_b64):
    raise AssertionError("ran in the framework process")
