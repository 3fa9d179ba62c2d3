#!/usr/bin/env python3
"""Checks the `import` lines of every Swift target against Package.swift and the layer rule of
docs/ARCHITECTURE.md; exits non-zero and names each offending file and line.

1. A file imports only what its target declares (plus the toolchain's own modules).
2. A target declares no Swift dependency that none of its files imports.
3. A library module imports only the modules its layer allows (ALLOWED below): C shims, then
   Common, VulkanRuntime, Imaging, Parquet, Storage, Shaders, then Model and PCA, then Pipeline,
   then the CLI, which imports Pipeline and ArgumentParser only.

Usage: python3 scripts/check_imports.py [--package-json FILE]   (FILE: `swift package dump-package` output;
       by default Package.swift's text is read)
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Modules of the toolchain and the OS, importable by any target.
SYSTEM = {"Foundation", "FoundationXML", "FoundationNetworking", "FoundationEssentials", "Dispatch",
          "Glibc", "Musl", "Darwin", "Testing", "XCTest", "Synchronization", "_Concurrency"}

# What each library module may import (besides SYSTEM). "C*" stands for any C shim target.
ALLOWED = {
    "Common": set(),
    "Shaders": set(),
    "VulkanRuntime": {"C*", "Common"},
    "Imaging": {"C*", "Common"},
    "Parquet": {"C*", "Common"},
    "Storage": {"C*", "Common"},
    "Model": {"C*", "Common", "VulkanRuntime", "Shaders", "Imaging"},
    "PCA": {"C*", "Common", "VulkanRuntime", "Shaders"},
    "Pipeline": {"Common", "Imaging", "Parquet", "Storage", "Model", "PCA"},
    "CLI": {"Pipeline", "ArgumentParser"},
}

IMPORT = re.compile(r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def package_description(path):
    """The targets of Package.swift: from `swift package dump-package` JSON when given, else read
    from the manifest's text (fast, and needs no lock on .build while a build runs)."""
    if path:
        with open(path) as f:
            return json.load(f)
    with open(os.path.join(ROOT, "Package.swift")) as f:
        text = f.read()
    text = re.sub(r"//[^\n]*", "", text)
    targets = []
    for match in re.finditer(r"(\.target|\.executableTarget|\.testTarget|\.systemLibrary|\bshim)\(", text):
        start = match.end()
        depth, i = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        body = text[start:i - 1]
        if match.group(1) == ".systemLibrary":
            continue  # the shim() helper's own body
        name_match = re.search(r'(?:name:\s*)?"([^"]+)"', body)
        if name_match is None:
            continue  # the declaration of shim() itself
        name = name_match.group(1)
        kind = {".testTarget": "test", ".executableTarget": "executable"}.get(match.group(1), "regular")
        path_match = re.search(r'path:\s*"([^"]+)"', body)
        exclude = re.search(r"exclude:\s*\[([^\]]*)\]", body)
        deps = []
        deps_match = re.search(r"dependencies:\s*\[", body)
        if deps_match:
            j, depth = deps_match.end(), 1
            while depth:
                depth += {"[": 1, "]": -1}.get(body[j], 0)
                j += 1
            listing = body[deps_match.end():j - 1]
            for product in re.finditer(r'\.product\(name:\s*"([^"]+)"', listing):
                deps.append({"product": [product.group(1)]})
            listing = re.sub(r"\.product\([^)]*\)", "", listing)
            deps += [{"byName": [n]} for n in re.findall(r'"([^"]+)"', listing)]
        targets.append({"name": name, "type": kind, "path": path_match.group(1) if path_match else None,
                        "exclude": re.findall(r'"([^"]+)"', exclude.group(1)) if exclude else [],
                        "dependencies": deps})
        if match.group(1) == "shim":
            targets[-1]["path"] = "Sources/" + name
    return {"targets": targets}


def dependency_names(target):
    names = []
    for dep in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dep:
                names.append(dep[kind][0])
    return names


def target_dir(target):
    if target.get("path"):
        return os.path.join(ROOT, target["path"])
    base = "Tests" if target["type"] == "test" else "Sources"
    return os.path.join(ROOT, base, target["name"])


def swift_files(directory, excluded):
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in excluded]
        for name in sorted(filenames):
            if name.endswith(".swift"):
                yield os.path.join(dirpath, name)


def imports_of(path):
    found = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            match = IMPORT.match(line)
            if match:
                found.append((number, match.group(1)))
    return found


def main():
    args = sys.argv[1:]
    package_json = args[args.index("--package-json") + 1] if "--package-json" in args else None
    package = package_description(package_json)
    targets = {t["name"]: t for t in package["targets"]}
    problems = []
    files_by_target = {}
    for name, target in targets.items():
        directory = target_dir(target)
        excluded = {os.path.join(directory, e) for e in target.get("exclude", [])}
        files_by_target[name] = list(swift_files(directory, excluded)) if os.path.isdir(directory) else []
    c_targets = {n for n, files in files_by_target.items() if not files}

    for name, target in sorted(targets.items()):
        files = files_by_target[name]
        if not files:
            continue
        declared = set(dependency_names(target))
        imported = set()
        for path in files:
            relative = os.path.relpath(path, ROOT)
            for number, module in imports_of(path):
                imported.add(module)
                if module in SYSTEM:
                    continue
                if module not in declared:
                    problems.append(f"{relative}:{number}: imports {module}, which target {name} does not declare")
                if name in ALLOWED:
                    allowed = ALLOWED[name]
                    if module not in allowed and not ("C*" in allowed and module in c_targets):
                        problems.append(f"{relative}:{number}: {name} may not import {module} "
                                        f"(allowed: {', '.join(sorted(allowed)) or 'nothing'}; docs/ARCHITECTURE.md)")
        for module in sorted(declared - imported):
            if module not in c_targets or name in ALLOWED:
                # C shims a Swift module links without importing (none today) would be listed here too.
                problems.append(f"Package.swift: target {name} declares {module} but no file of it imports it")
        if target["type"] == "regular" and name not in ALLOWED and not name.startswith("C") and name != "TestSupport":
            problems.append(f"Package.swift: library target {name} has no layer in scripts/check_imports.py ALLOWED")

    for line in problems:
        print(line)
    if problems:
        print(f"check_imports: {len(problems)} problem(s)")
        return 1
    print(f"check_imports: {sum(len(f) for f in files_by_target.values())} files of "
          f"{sum(1 for f in files_by_target.values() if f)} Swift targets import only what they declare and their layer allows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
