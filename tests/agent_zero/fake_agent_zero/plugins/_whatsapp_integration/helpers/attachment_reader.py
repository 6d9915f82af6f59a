"""Stand-in of the _whatsapp_integration plugin's helpers/attachment_reader.py (signature only)."""


def read_attachment(path):
    raise AssertionError("ran in the framework process")
