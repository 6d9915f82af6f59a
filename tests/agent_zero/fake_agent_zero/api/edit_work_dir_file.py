"""Stand-in of Agent Zero's api/edit_work_dir_file.py (signatures only)."""


async def load_file(file_path):
    raise AssertionError("ran in the framework process")


def save_file(file_path, content):
    raise AssertionError("ran in the framework process")
