#!/usr/bin/env python3
"""Checks the layer rules of docs/architecture.md on the sources (run by `make test`).

1. A module imports only the project modules it declares as dependencies in Package.swift,
   so the arrows point down (SwiftPM lets a module see transitive dependencies; this does not).
2. WinnowCore, WinnowIO, WinnowText, WinnowHTML, WinnowLM and WinnowTokenizers never import Foundation
   (docs/decisions/0003: Foundation's bundled ICU clashes with the system ICU that libxml2's
   headers bring in; the failure shows only in clean builds).

Reads `swift package dump-package`; prints file:line for each violation and exits 1.
"""
import json
import os
import re
import subprocess
import sys

NO_FOUNDATION = {"WinnowCore", "WinnowIO", "WinnowText", "WinnowHTML", "WinnowLM", "WinnowTokenizers"}
IMPORT = re.compile(r"^\s*(?:@testable\s+|@_implementationOnly\s+|@preconcurrency\s+)*import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)")

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout)
targets = {t["name"]: t for t in package["targets"]}


def declared(target):
    names = set()
    for dep in target.get("dependencies", []):
        for kind in ("byName", "target"):
            if kind in dep:
                names.add(dep[kind][0])
    return names


problems = []
for name, target in sorted(targets.items()):
    if target["type"] not in ("regular", "executable"):
        continue
    folder = os.path.join(root, target.get("path") or os.path.join("Sources", name))
    allowed = declared(target)
    for directory, _, files in os.walk(folder):
        for file in sorted(files):
            if not file.endswith(".swift"):
                continue
            path = os.path.join(directory, file)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    match = IMPORT.match(line)
                    if not match:
                        continue
                    module = match.group(1)
                    where = f"{os.path.relpath(path, root)}:{number}"
                    if module in targets and module != name and module not in allowed:
                        problems.append(f"{where}: {name} imports {module}, which is not among its dependencies in Package.swift")
                    if name in NO_FOUNDATION and module.startswith("Foundation"):
                        problems.append(f"{where}: {name} must not import {module} (docs/decisions/0003)")

for problem in problems:
    print(problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check-layers: {len(targets)} targets, imports follow Package.swift, no Foundation in {', '.join(sorted(NO_FOUNDATION))}")
