"""Checks that includes go down the layers only: every `#include "folder/..."` of a source
file must name its own folder or one its row of the table in docs/architecture.md allows.

    python3 tests/layers.py [SOURCE_DIR]
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))


def allowed_layers():
    """folder -> the folders it may include, from the table under '## Layers'."""
    text = open(os.path.join(ROOT, "docs", "architecture.md")).read()
    section = text.split("## Layers", 1)[1]
    rows = re.findall(r"^\| ([a-z]+) \|([^|\n]*)\|$", section, re.M)
    table = {folder: {f.strip() for f in may.split(",") if f.strip()} for folder, may in rows if folder != "folder"}
    assert len(table) >= 10, f"docs/architecture.md: the layer table has {len(table)} rows"
    return table


def folder_of(path):
    """The layer of a source file: src/<folder>/..., or workloads/..."""
    rel = os.path.relpath(path, ROOT).split(os.sep)
    return rel[1] if rel[0] == "src" else rel[0]


def main():
    table = allowed_layers()
    sources = []
    for top in ("src", "workloads"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            sources += [os.path.join(dirpath, f) for f in files if f.endswith((".cpp", ".hpp", ".in"))]
    problems, checked = [], 0
    for path in sorted(sources):
        folder = folder_of(path)
        if folder not in table:
            problems.append(f"{os.path.relpath(path, ROOT)}: folder '{folder}' has no row in docs/architecture.md")
            continue
        for n, line in enumerate(open(path), 1):
            m = re.match(r'\s*#\s*include\s+"([^"/]+)/', line)
            if not m:
                continue
            checked += 1
            target = m.group(1)
            if target != folder and target not in table[folder]:
                problems.append(f"{os.path.relpath(path, ROOT)}:{n}: {folder} includes {target} "
                                f"(allowed: {', '.join(sorted(table[folder])) or 'nothing'})")
    if checked < 100:
        problems.append(f"only {checked} includes found: is {ROOT} the source tree?")
    for p in problems:
        print(p)
    print(f"{checked} includes of {len(sources)} files checked against {len(table)} layers: "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
