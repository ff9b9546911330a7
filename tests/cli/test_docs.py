"""The documentation stays true: docs/cli.md documents every flag each subcommand's --help
prints and no other, and every relative link of the README and docs/ resolves."""
import os
import re
import unittest

from harness import allocbench

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLAG = r"--[a-z][a-z0-9-]*"


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def subcommands():
    """The subcommands `allocbench --help` lists."""
    text = allocbench("--help").stdout
    listed = text.split("Subcommands:", 1)[1]
    return re.findall(r"^  ([a-z][a-z-]*)\s", listed, re.M)


def help_flags(subcommand):
    text = allocbench(subcommand, "--help").stdout
    return set(re.findall(rf"^\s+(?:-\w,)?({FLAG})", text, re.M)) - {"--help"}


def cli_md_sections():
    """'## allocbench NAME' -> the text of that section."""
    text = read("docs", "cli.md")
    parts = re.split(r"^## allocbench ([a-z-]+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1].split("\n## ", 1)[0] for i in range(1, len(parts), 2)}


def table_flags(section):
    """The flags a section's table documents: those in the first cell of its rows."""
    cells = re.findall(r"^\|([^|\n]*)\|", section, re.M)
    return {flag for cell in cells for flag in re.findall(rf"`({FLAG})`", cell)}


class CliReferenceTest(unittest.TestCase):
    def test_every_flag_of_every_subcommand_is_documented_and_no_other(self):
        sections = cli_md_sections()
        names = subcommands()
        self.assertGreaterEqual(len(names), 10)
        self.assertEqual(sorted(sections), sorted(names), "one '## allocbench NAME' section per subcommand")
        checked = 0
        for name in names:
            with self.subTest(subcommand=name):
                helped = help_flags(name)
                documented = table_flags(sections[name]) - {"--help"}
                self.assertEqual(sorted(helped - documented), [], "in --help, missing from docs/cli.md")
                self.assertEqual(sorted(documented - helped), [], "in docs/cli.md, not a flag of the subcommand")
                checked += len(helped)
        self.assertGreater(checked, 50)


class LinkTest(unittest.TestCase):
    def anchors(self, path):
        """GitHub's anchors of a markdown file's headings."""
        out = set()
        for heading in re.findall(r"^#+ (.+)$", read(path), re.M):
            slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            out.add(slug)
        return out

    def test_every_relative_link_resolves(self):
        files = ["README.md"] + [os.path.join("docs", f) for f in sorted(os.listdir(os.path.join(ROOT, "docs")))
                                 if f.endswith(".md")]
        links = 0
        for path in files:
            text = re.sub(r"```.*?```", "", read(path), flags=re.S)  # examples are not links
            for target in re.findall(r"\]\(([^)\s]+)\)", text):
                if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                    continue
                links += 1
                file, _, anchor = target.partition("#")
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
                with self.subTest(page=path, link=target):
                    self.assertTrue(os.path.exists(os.path.join(ROOT, resolved)), f"{resolved} does not exist")
                    if anchor and resolved.endswith(".md"):
                        self.assertIn(anchor, self.anchors(resolved))
        self.assertGreater(links, 20)


if __name__ == "__main__":
    unittest.main()
