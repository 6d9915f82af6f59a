"""One release number: the project's (CMakeLists.txt, `project(... VERSION x.y.z)`) is the one
that every other place that states a version repeats: the Python package (a0ipc.__version__,
which the wheel and python3-a0ipc take), the Agent Zero plugin's plugin.yaml, the newest entry
of the Debian changelog and the image tag of the Kubernetes example. A release bumps them
together; this fails when one is forgotten. Run by ctest (repo_versions_agree)."""
import os
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.environ.get("A0IPC_SOURCE_DIR") or os.path.join(HERE, "..", ".."))

# Where each version is written, and how to find it: (file, pattern with one group).
PLACES = [
    ("python/a0ipc/__init__.py", r'^__version__ = "([^"]+)"'),
    ("python/a0ipc/agent_zero/plugin/plugin.yaml", r"^version: (\S+)"),
    ("packaging/debian/changelog", r"\A\S+ \(([^)-]+)-[^)]+\)"),
    ("packaging/kubernetes/a0ipcd.yaml", r"image: \S+:(\S+)"),
]


def read(rel):
    with open(os.path.join(SOURCE, rel), encoding="utf-8") as f:
        return f.read()


def found(rel, pattern):
    m = re.search(pattern, read(rel), re.M)
    return m.group(1) if m else None


class VersionsAgree(unittest.TestCase):
    def test_every_place_says_the_projects_version(self):
        project = found("CMakeLists.txt", r"^project\(\s*a0ipc\b[^)]*\bVERSION\s+(\d+\.\d+\.\d+)")
        self.assertIsNotNone(project, "no VERSION in CMakeLists.txt's project()")
        for rel, pattern in PLACES:
            self.assertEqual(found(rel, pattern), project, "%s does not say %s" % (rel, project))

    def test_the_check_reads_what_it_claims(self):
        # A place whose pattern no longer matches must fail, not pass silently.
        self.assertIsNone(found("CMakeLists.txt", r"^never-there (\S+)"))
        self.assertEqual(re.search(PLACES[2][1], "a0ipc (9.8.7-1) unstable;").group(1), "9.8.7")


if __name__ == "__main__":
    unittest.main()
