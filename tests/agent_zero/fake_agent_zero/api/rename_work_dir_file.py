"""Stand-in of Agent Zero's api/rename_work_dir_file.py (signatures only)."""


async def rename_item(file_path, new_name):
    raise AssertionError("ran in the framework process")


async def create_folder(parent_path, folder_name):
    raise AssertionError("ran in the framework process")
