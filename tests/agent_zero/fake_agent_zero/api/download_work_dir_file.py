"""Stand-in of Agent Zero's api/download_work_dir_file.py (signature only)."""


async def fetch_file(path):
    raise AssertionError("ran in the framework process")
