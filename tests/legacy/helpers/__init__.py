# The package the legacy reference server imports RFC modules from (helpers.rfc_files).
