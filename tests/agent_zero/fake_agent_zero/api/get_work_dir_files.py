"""Stand-in of Agent Zero's api/get_work_dir_files.py: the runtime function's signature only (a
call through the a0ipc dispatch must never run it in the framework process)."""


async def get_files(path):
    raise AssertionError("ran in the framework process")
