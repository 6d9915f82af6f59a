"""Stand-in of Agent Zero's api/delete_work_dir_file.py (signature only)."""


async def delete_file(file_path):
    raise AssertionError("ran in the framework process")
