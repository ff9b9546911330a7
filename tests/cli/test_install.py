"""An installed allocbench: `cmake --install` into a prefix runs with the build folder out
of sight (a tmpfs mounted over it in a mount namespace of its own), and `cpack` makes a
.deb of the same files with its dependencies declared."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BACKENDS, BUILD_DIR


def can_hide_folders():
    return shutil.which("unshare") and subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode == 0


@unittest.skipUnless("mimalloc" in BACKENDS, "needs the full build (a sanitizer build is not installed)")
class InstallTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def install(self):
        prefix = os.path.join(self.dir.name, "prefix")
        p = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return prefix

    def test_the_installed_allocbench_runs_without_the_build_folder(self):
        if not can_hide_folders():
            self.skipTest("no mount namespace here to hide the build folder in")
        prefix = self.install()
        self.assertEqual(os.readlink(os.path.join(prefix, "bin", "allocbench")), "../lib/allocbench/allocbench")
        parts = set(os.listdir(os.path.join(prefix, "lib", "allocbench")))
        self.assertLessEqual({f"allocbench-worker-{b}" for b in BACKENDS} | {"allocbench-launcher"}, parts)
        # The build folder hidden under an empty tmpfs, for these commands alone.
        script = (f"mount -t tmpfs none {BUILD_DIR} && cd / && "
                  f"{prefix}/bin/allocbench list --format json > {self.dir.name}/list.json && "
                  f"{prefix}/bin/allocbench run --workload small-object-churn --param small-object-churn.ops=20000 "
                  f"--reps 1 --format json > {self.dir.name}/run.json && "
                  f"{prefix}/bin/allocbench --version > {self.dir.name}/version.txt && ls -A {BUILD_DIR} | wc -l")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCBENCH")}
        p = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "0")  # the build folder was empty for them
        with open(f"{self.dir.name}/list.json") as f:
            self.assertEqual(sorted(b["name"] for b in json.load(f)["backends"]), sorted(BACKENDS))
        with open(f"{self.dir.name}/run.json") as f:
            results = json.load(f)["results"]
        self.assertEqual(sorted(r["backend"] for r in results), sorted(BACKENDS))
        self.assertEqual(len({r["checksum"] for r in results}), 1)
        with open(f"{self.dir.name}/version.txt") as f:
            self.assertRegex(f.read(), r"^allocbench \d+\.\d+\.\d+ \([0-9a-f]{12}\)$")

    def test_the_deb_holds_the_same_files_and_names_its_dependencies(self):
        if not shutil.which("cpack") or not shutil.which("dpkg-deb"):
            self.skipTest("cpack and dpkg-deb make and read the .deb")
        p = subprocess.run(["cpack", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", self.dir.name],
                           capture_output=True, text=True, cwd=self.dir.name)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        deb, = glob.glob(os.path.join(self.dir.name, "allocbench_*.deb"))
        files = subprocess.run(["dpkg-deb", "--contents", deb], capture_output=True, text=True, check=True).stdout
        self.assertRegex(files, r"\./usr/bin/allocbench -> \.\./lib/allocbench/allocbench")
        for b in BACKENDS:
            self.assertIn(f"./usr/lib/allocbench/allocbench-worker-{b}\n", files)
        depends = subprocess.run(["dpkg-deb", "--field", deb, "Depends"], capture_output=True, text=True,
                                 check=True).stdout
        for package in ("libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4", "libfmt9"):
            self.assertRegex(depends, rf"\b{re.escape(package)}\b")


SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class VersionTest(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(os.path.join(SOURCE, ".git")), "needs the git checkout to archive")
    def test_a_source_tree_without_git_knows_its_commit(self):
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=SOURCE, capture_output=True, text=True,
                                check=True).stdout.strip()
        with tempfile.TemporaryDirectory() as tmp:
            tree, build = os.path.join(tmp, "src"), os.path.join(tmp, "build")
            os.mkdir(tree)
            archive = subprocess.run(["git", "archive", "HEAD"], cwd=SOURCE, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
            self.assertFalse(os.path.exists(os.path.join(tree, ".git")))
            p = subprocess.run(["cmake", "-S", tree, "-B", build, "-DALLOCBENCH_BUILD_TESTS=OFF"], capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(build, "generated", "build_info.hpp")) as f:
                self.assertIn(f'git_commit = "{commit}"', f.read())


if __name__ == "__main__":
    unittest.main()
