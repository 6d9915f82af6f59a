"""Stand-in of Agent Zero's helpers/rfc_exchange.py (signature only)."""


def _provide_root_password(public_key_pem):
    raise AssertionError("ran in the framework process")
