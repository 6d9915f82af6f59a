"""``a0ipc agent-zero install | uninstall | status AGENT_ZERO_DIR`` (also ``python -m a0ipc.agent_zero``).

install  checks that the directory is an Agent Zero v1.x checkout, installs this package (with
         its generated stubs) into the interpreter Agent Zero runs with, pip-style, copies the
         plugin into ``usr/plugins/a0ipc/`` and writes the connection settings as a marked block
         of ``A0IPC_*`` lines into ``usr/.env`` (which Agent Zero loads into its environment at
         start). No file of Agent Zero itself is touched, so an Agent Zero update keeps it.
uninstall removes the plugin directory and the block (and, unless --keep-package, the package
         from Agent Zero's interpreter): Agent Zero is then as it was.
status   says what is installed where, then runs a smoke test in Agent Zero's interpreter with
         Agent Zero's settings against the configured a0ipcd: health, a file round trip and a
         shell command, each with its time.

Only the standard library is used here: the commands run under any python3, and the smoke test
runs under Agent Zero's own interpreter (``a0ipc.agent_zero.smoke``).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from a0ipc.agent_zero import PLUGIN_NAME

PLUGIN_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin")
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOCK_BEGIN = "# >>> a0ipc (written by `a0ipc agent-zero install`; `uninstall` removes it)"
BLOCK_END = "# <<< a0ipc"
# The settings install writes, with the option that sets each. Defaults: where the packaged
# a0ipcd listens, and every runtime call on a0ipcd.
SETTINGS = (
    ("A0IPC_TARGET", "target", "unix:/run/a0ipcd/a0ipcd.sock",
     "where a0ipcd listens (unix:PATH, HOST:PORT, dns:///HOST:PORT)"),
    ("A0IPC_TOKEN_FILE", "token_file", None, "a file holding the bearer token"),
    ("A0IPC_CA", "ca", None, "TLS: the CA that signed a0ipcd's certificate"),
    ("A0IPC_CERT", "cert", None, "mTLS: the client certificate"),
    ("A0IPC_KEY", "key", None, "mTLS: the client key"),
    ("A0IPC_SERVER_NAME", "server_name", None, "TLS: the name to expect in the certificate"),
    ("A0IPC_BACKEND", "backend", "grpc",
     "grpc (a0ipcd), legacy (Agent Zero's RFC), canary or shadow: see docs/migration.md"),
)
# Interpreters Agent Zero is run with, in the order they are looked for: its venv in the
# checkout, the container layout's framework venv.
VENV_CANDIDATES = (".venv", "venv", "/opt/venv-a0")
# Agent Zero shows its agent the runtime's paths as /a0/... (its directory in the container:
# the work dir /a0/usr/workdir, projects, skills). On a native host that directory is the
# checkout itself, so /a0 should name it.
A0_LINK = "/a0"
MIN_PYTHON = (3, 10)


class InstallError(Exception):
    """What install/uninstall/status cannot do, said so that a person can act on it."""


# ---------------------------------------------------------------------------------------- layout

def check_layout(az_dir):
    """The Agent Zero checkout's version string; InstallError when it is not v1.x."""
    if not os.path.isdir(az_dir):
        raise InstallError("%s is not a directory" % az_dir)
    runtime = os.path.join(az_dir, "helpers", "runtime.py")
    if not os.path.isfile(runtime):
        if os.path.isfile(os.path.join(az_dir, "python", "helpers", "runtime.py")):
            raise InstallError(
                "%s has the Agent Zero 0.x layout (python/helpers/); a0ipc's plugin supports "
                "Agent Zero v1.x (helpers/ + plugins/, usr/plugins/): update Agent Zero first"
                % az_dir)
        raise InstallError("%s is not an Agent Zero checkout (no helpers/runtime.py)" % az_dir)
    with open(runtime, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if "def call_development_function" not in text:
        raise InstallError("%s: helpers/runtime.py has no call_development_function; this "
                           "Agent Zero is not one a0ipc knows (v1.x)" % az_dir)
    needed = ["helpers/plugins.py", "helpers/extension.py",
              "plugins/_code_execution/plugin.yaml"]
    missing = [p for p in needed if not os.path.isfile(os.path.join(az_dir, p))]
    if missing:
        raise InstallError("%s lacks %s: a0ipc's plugin needs Agent Zero v1.x's plugin "
                           "mechanism and its _code_execution plugin" % (az_dir, ", ".join(missing)))
    return agent_zero_version(az_dir)


def agent_zero_version(az_dir):
    try:
        out = subprocess.run(["git", "-C", az_dir, "describe", "--tags", "--always"],
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "v1.x (no git version)"


def plugin_dir(agent_zero_dir):
    return os.path.join(agent_zero_dir, "usr", "plugins", PLUGIN_NAME)


def dotenv_path(az_dir):
    return os.path.join(az_dir, "usr", ".env")


# ---------------------------------------------------------------------------------- interpreter

def find_python(az_dir, given=None):
    """The interpreter Agent Zero runs with: --python, else a venv of the checkout or the
    container layout's; InstallError listing what was tried."""
    tried = []
    cands = [given] if given else [os.path.join(d if os.path.isabs(d) else os.path.join(az_dir, d),
                                                "bin", "python") for d in VENV_CANDIDATES]
    for c in cands:
        tried.append(c)
        if c and os.access(c, os.X_OK):
            version = python_version(c)
            if version < MIN_PYTHON:
                raise InstallError("%s is Python %d.%d; a0ipc needs >= %d.%d (Agent Zero v1.x "
                                   "itself needs 3.12)" % ((c,) + version + MIN_PYTHON))
            return c, version
    raise InstallError("no Python interpreter of Agent Zero found (tried %s); name the one "
                       "Agent Zero runs with: --python /path/to/venv/bin/python"
                       % ", ".join(tried))


def python_version(python):
    out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise InstallError("%s does not run: %s" % (python, out.stderr.strip()[-300:]))
    major, minor = out.stdout.split()
    return int(major), int(minor)


def package_source():
    """The directory pip builds the package from: python/ of an a0ipc checkout or of its
    installed share directory, with proto/ beside it."""
    src = os.environ.get("A0IPC_PACKAGE_SOURCE") or PACKAGE_ROOT
    if not os.path.isfile(os.path.join(src, "pyproject.toml")):
        raise InstallError("the a0ipc Python package's source (pyproject.toml) is not at %s; "
                           "run `a0ipc agent-zero` from an a0ipc checkout or installation" % src)
    proto = os.path.join(src, "..", "proto")
    if not os.path.isdir(proto):
        raise InstallError("the contract (proto/) is not beside %s" % src)
    return src, os.path.abspath(proto)


def pip_install(python, pip_args=()):
    """Installs the package into ``python``'s environment from a copy of its sources (the
    build writes build/ beside them, which an installed share directory may not allow)."""
    src, proto = package_source()
    with tempfile.TemporaryDirectory(prefix="a0ipc-pkg-") as tmp:
        shutil.copytree(src, os.path.join(tmp, "python"),
                        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        shutil.copytree(proto, os.path.join(tmp, "proto"))
        cmd = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--upgrade", os.path.join(tmp, "python")] + list(pip_args)
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp,
                             env=_clean_env(os.environ))
        if out.returncode != 0:
            raise InstallError("pip could not install a0ipc into %s:\n%s"
                               % (python, (out.stdout + out.stderr).strip()[-2000:]))


def installed_package_version(python):
    out = subprocess.run([python, "-c", "import a0ipc, a0ipc._proto; print(a0ipc.__version__)"],
                         capture_output=True, text=True, cwd="/", timeout=120,
                         env=_clean_env(os.environ))
    return out.stdout.strip() if out.returncode == 0 else None


def _clean_env(env):
    """The environment for Agent Zero's interpreter and its pip: no PYTHONPATH or stub directory
    of ours, so what is installed, removed and tested is what Agent Zero will import (with the
    source tree on PYTHONPATH, pip would see and act on that copy instead)."""
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "A0IPC_PYTHON_GEN")}


# ----------------------------------------------------------------------------------- settings

def read_block(az_dir):
    """The settings of our block in usr/.env, {} when there is none."""
    path = dotenv_path(az_dir)
    if not os.path.isfile(path):
        return {}
    values, inside = {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s == BLOCK_BEGIN:
                inside = True
            elif s == BLOCK_END:
                inside = False
            elif inside and "=" in s and not s.startswith("#"):
                k, v = s.split("=", 1)
                values[k.strip()] = v.strip()
    return values


def write_block(az_dir, values):
    """Replaces our block in usr/.env (or appends it), keeping every other line; atomic."""
    path = dotenv_path(az_dir)
    lines = []
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    kept, inside = [], False
    for line in lines:
        if line.strip() == BLOCK_BEGIN:
            inside = True
        elif line.strip() == BLOCK_END:
            inside = False
        elif not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    if values:
        block = [BLOCK_BEGIN] + ["%s=%s" % (k, v) for k, v in values.items()] + [BLOCK_END]
        kept += ([""] if kept else []) + block
    if not kept:  # nothing else was in it: as if it had never been written
        if os.path.exists(path):
            os.unlink(path)
        return
    _replace_file(path, "\n".join(kept) + "\n")


def _replace_file(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o600
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".env.a0ipc-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def conflicting_settings(az_dir):
    """A0IPC_* lines of usr/.env outside our block: they win or lose by order in dotenv, so
    they are reported."""
    path = dotenv_path(az_dir)
    if not os.path.isfile(path):
        return []
    out, inside = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s in (BLOCK_BEGIN, BLOCK_END):
                inside = s == BLOCK_BEGIN
            elif not inside and re.match(r"^A0IPC_[A-Z_]+\s*=", s):
                out.append(s.split("=", 1)[0].strip())
    return out


# ------------------------------------------------------------------------------------- /a0

def a0_state(az_dir, link=A0_LINK):
    """(ok, text): whether ``link`` names the checkout, for install and status."""
    if not os.path.lexists(link):
        return False, ("%s does not exist: Agent Zero gives its agent /a0/... paths (the work "
                       "dir /a0/usr/workdir); make it the checkout: ln -s %s %s (or install "
                       "--link-a0)" % (link, az_dir, link))
    if os.path.realpath(link) == os.path.realpath(az_dir):
        return True, "%s -> %s" % (link, os.path.realpath(link))
    return False, ("%s is %s, not this checkout: the agent's /a0/... paths reach something else"
                   % (link, os.path.realpath(link)))


def link_a0(az_dir, link=A0_LINK):
    """Makes ``link`` a symlink to the checkout; never replaces an existing path."""
    if os.path.lexists(link):
        ok, text = a0_state(az_dir, link)
        if not ok:
            raise InstallError("--link-a0: " + text + " (left as it is)")
        return text
    try:
        os.symlink(os.path.realpath(az_dir), link)
    except OSError as e:
        raise InstallError("--link-a0: cannot create %s: %s (run as root, or create it by "
                           "hand)" % (link, e.strerror))
    return "%s -> %s (created)" % (link, os.path.realpath(az_dir))


# ------------------------------------------------------------------------------------ plugin

def copy_plugin(agent_zero_dir):
    """Puts the plugin's files into ``usr/plugins/a0ipc`` of an Agent Zero tree (replacing an
    older copy whole); returns that directory."""
    dest = plugin_dir(agent_zero_dir)
    tmp = dest + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copytree(PLUGIN_SOURCE, tmp, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return dest


def plugin_version(path):
    meta = os.path.join(path, "plugin.yaml")
    if not os.path.isfile(meta):
        return None
    with open(meta, encoding="utf-8") as f:
        m = re.search(r"^version:\s*(\S+)", f.read(), re.M)
    return m.group(1) if m else "?"


# ---------------------------------------------------------------------------------- commands

def cmd_install(a, out):
    version = check_layout(a.dir)
    print("Agent Zero %s at %s: v1.x layout" % (version, a.dir), file=out)
    values = read_block(a.dir)
    for env, opt, default, _ in SETTINGS:
        given = getattr(a, opt)
        if given is not None:
            values[env] = given
        elif env not in values and default is not None:
            values[env] = default
        if env in values and not values[env]:
            del values[env]
    if not a.no_package:
        python, pv = find_python(a.dir, a.python)
        print("installing the a0ipc package into %s (Python %d.%d)..." % ((python,) + pv),
              file=out, flush=True)
        pip_install(python, a.pip_arg or ())
        got = installed_package_version(python)
        if not got:
            raise InstallError("a0ipc was installed into %s but does not import there" % python)
        print("  a0ipc %s importable by Agent Zero's interpreter" % got, file=out)
    dest = copy_plugin(a.dir)
    print("plugin: %s" % dest, file=out)
    if a.link_a0:
        print("paths: %s" % link_a0(a.dir), file=out)
    else:
        ok, text = a0_state(a.dir)
        print("paths: %s" % text if ok else "note: " + text, file=out)
    write_block(a.dir, values)
    print("settings: %s (%s)" % (dotenv_path(a.dir), ", ".join(
        "%s=%s" % kv for kv in values.items())), file=out)
    for k in conflicting_settings(a.dir):
        print("note: %s is also set outside a0ipc's block in usr/.env" % k, file=out)
    print("Restart Agent Zero to load the plugin; `a0ipc agent-zero status %s` checks it."
          % a.dir, file=out)
    return 0


def cmd_uninstall(a, out):
    check_layout(a.dir)
    dest = plugin_dir(a.dir)
    if os.path.isdir(dest):
        shutil.rmtree(dest)
        print("removed %s" % dest, file=out)
    if read_block(a.dir):
        write_block(a.dir, {})
        print("removed a0ipc's settings from %s" % dotenv_path(a.dir), file=out)
    if not a.keep_package:
        try:
            python, _ = find_python(a.dir, a.python)
        except InstallError as e:
            print("note: the package was left installed: %s" % e, file=out)
        else:
            r = subprocess.run([python, "-m", "pip", "uninstall", "--yes", "--quiet", "a0ipc"],
                               capture_output=True, text=True, cwd="/",
                               env=_clean_env(os.environ))
            if r.returncode != 0 or installed_package_version(python):
                raise InstallError("pip could not remove a0ipc from %s:\n%s"
                                   % (python, (r.stdout + r.stderr).strip()[-2000:]))
            print("removed the a0ipc package from %s" % python, file=out)
    print("Restart Agent Zero: it runs as before a0ipc.", file=out)
    return 0


def cmd_status(a, out):
    version = check_layout(a.dir)
    ok = True
    print("Agent Zero: %s at %s" % (version, a.dir), file=out)
    pv = plugin_version(plugin_dir(a.dir))
    print("plugin:     %s" % ("%s (version %s)" % (plugin_dir(a.dir), pv) if pv
                              else "not installed"), file=out)
    ok &= pv is not None
    values = read_block(a.dir)
    print("settings:   %s" % (", ".join("%s=%s" % kv for kv in values.items()) or "none"),
          file=out)
    _, text = a0_state(a.dir)  # a note: without it the work dir is a real /a0 of the host
    print("paths:      %s" % text, file=out)
    python, _ = find_python(a.dir, a.python)
    got = installed_package_version(python)
    print("package:    %s" % ("a0ipc %s in %s" % (got, python) if got
                              else "not importable by %s" % python), file=out)
    if not got:
        return 1
    env = _clean_env(os.environ)
    env.update(values)
    smoke = subprocess.run([python, "-m", "a0ipc.agent_zero.smoke"], env=env, cwd="/",
                           capture_output=True, text=True)
    out.write(smoke.stdout + smoke.stderr)
    ok &= smoke.returncode == 0
    return 0 if ok else 1


def parser():
    p = argparse.ArgumentParser(prog="a0ipc agent-zero",
                                description="Switch an Agent Zero v1.x install to a0ipcd.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    i = sub.add_parser("install", help="install the plugin, the package and the settings")
    u = sub.add_parser("uninstall", help="remove them: Agent Zero runs as before")
    s = sub.add_parser("status", help="what is installed, and a smoke test against a0ipcd")
    for sp in (i, u, s):
        sp.add_argument("dir", metavar="AGENT_ZERO_DIR")
        sp.add_argument("--python", help="the interpreter Agent Zero runs with (default: its "
                        "venv: %s)" % ", ".join(VENV_CANDIDATES))
    for env, opt, default, what in SETTINGS:
        i.add_argument("--" + opt.replace("_", "-"), dest=opt,
                       help="%s (%s%s)" % (what, env, ", default %s" % default if default else ""))
    i.add_argument("--no-package", action="store_true",
                   help="do not pip-install the package (it is installed already)")
    i.add_argument("--pip-arg", action="append", help="one more argument for pip install")
    i.add_argument("--link-a0", action="store_true",
                   help="make %s a symlink to AGENT_ZERO_DIR (the agent's /a0/... paths)"
                   % A0_LINK)
    u.add_argument("--keep-package", action="store_true",
                   help="leave the a0ipc package in Agent Zero's interpreter")
    return p


def main(argv=None, out=None):
    out = out or sys.stdout
    a = parser().parse_args(argv)
    a.dir = os.path.abspath(a.dir)
    try:
        return {"install": cmd_install, "uninstall": cmd_uninstall,
                "status": cmd_status}[a.command](a, out)
    except InstallError as e:
        print("a0ipc agent-zero %s: %s" % (a.command, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
