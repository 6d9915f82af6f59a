"""Stand-in of Agent Zero's api/upload_work_dir_files.py (signature only)."""


async def upload_file(current_path, filename, base64_content):
    raise AssertionError("ran in the framework process")
