"""Stand-in of Agent Zero's api/file_info.py (signature only; must not run in the framework)."""


async def get_file_info(path):
    raise AssertionError("ran in the framework process")
