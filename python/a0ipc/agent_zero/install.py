"""``a0ipc agent-zero install | uninstall | status AGENT_ZERO_DIR``.

(The lead's work in progress: install/uninstall/status grow here. ``copy_plugin`` is the step the
tests use to put the plugin into a stand-in tree.)
"""
import os
import shutil

from a0ipc.agent_zero import PLUGIN_NAME

PLUGIN_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin")


def plugin_dir(agent_zero_dir):
    return os.path.join(agent_zero_dir, "usr", "plugins", PLUGIN_NAME)


def copy_plugin(agent_zero_dir):
    """Put the plugin's files into ``usr/plugins/a0ipc`` of an Agent Zero tree (replacing an
    older copy whole); returns that directory."""
    dest = plugin_dir(agent_zero_dir)
    tmp = dest + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(PLUGIN_SOURCE, tmp, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return dest
