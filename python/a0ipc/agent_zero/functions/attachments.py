"""The email and WhatsApp integrations' attachment reader and writer
(``plugins/_email_integration/helpers/attachment_{reader,writer}.py``, the same pair under
``_whatsapp_integration``): errors come back as text in the result, never raised.

The writer's path is relative to Agent Zero's directory (``usr/email/attachments/...``) and is
made absolute with the framework's ``helpers.files.get_abs_path``; its parent directories are
created, then the decoded bytes written.
"""
import base64
import binascii
import os


async def read_attachment(fs, path):
    """attachment_reader.read_attachment: {name, content_b64, error}."""
    try:
        if not await fs.isfile(path):
            return {"name": "", "content_b64": "", "error": "file not found: %s" % path}
        content = await fs.read_bytes(path)
        return {"name": os.path.basename(path),
                "content_b64": base64.b64encode(content).decode(), "error": ""}
    except Exception as e:  # noqa: BLE001 - reported in the result, as there
        return {"name": "", "content_b64": "", "error": str(e)}


async def write_attachment(fs, rel_path, content_b64):
    """attachment_writer.write_attachment: {path (absolute), error}."""
    try:
        from helpers import files
        abs_path = files.get_abs_path(rel_path)
        await fs.makedirs(os.path.dirname(abs_path), exist_ok=True)
        content = base64.b64decode(content_b64)
        await fs.write_bytes(abs_path, content)
        return {"path": abs_path, "error": ""}
    except (Exception, binascii.Error) as e:  # noqa: BLE001
        return {"path": "", "error": str(e)}
