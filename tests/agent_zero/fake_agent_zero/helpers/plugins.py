"""Stand-in of Agent Zero's helpers.plugins: plugin roots (user first), the plugin list sorted by
name, .toggle-0/.toggle-1, and get_plugin_config (config.json whole, else default_config.yaml)."""
import json
import os

import yaml

from helpers import files

META_FILE_NAME = "plugin.yaml"


def get_plugin_roots(plugin_name=""):
    return [files.get_abs_path(files.USER_DIR, files.PLUGINS_DIR, plugin_name),
            files.get_abs_path(files.PLUGINS_DIR, plugin_name)]


def get_plugins_list():
    names = set()
    for root in get_plugin_roots():
        if not os.path.isdir(root):
            continue
        for d in os.listdir(root):
            if not d.startswith(".") and os.path.isfile(os.path.join(root, d, META_FILE_NAME)):
                names.add(d)
    return sorted(names)


def find_plugin_dir(name):
    for root in get_plugin_roots(name):
        if os.path.isfile(os.path.join(root, META_FILE_NAME)):
            return root
    return None


def is_enabled(name):
    enabled = True
    for root in reversed(get_plugin_roots(name)):  # lowest priority first
        if os.path.exists(os.path.join(root, ".toggle-0")):
            enabled = False
        if os.path.exists(os.path.join(root, ".toggle-1")):
            enabled = True
    return enabled


def get_enabled_plugins(agent=None):
    return [n for n in get_plugins_list() if is_enabled(n)]


def get_enabled_plugin_paths(agent=None, *subpaths):
    return [os.path.join(find_plugin_dir(n), *subpaths) for n in get_enabled_plugins(agent)]


def get_plugin_config(name, agent=None, project_name=None, agent_profile=None):
    for root in get_plugin_roots(name):
        p = os.path.join(root, "config.json")
        if os.path.isfile(p):
            with open(p, encoding="utf-8") as f:
                return json.load(f)
    d = find_plugin_dir(name)
    if d and os.path.isfile(os.path.join(d, "default_config.yaml")):
        with open(os.path.join(d, "default_config.yaml"), encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    return None
