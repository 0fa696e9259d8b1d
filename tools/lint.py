#!/usr/bin/env python3
"""clang-tidy over the sources of a compile database, in parallel, for `make lint`.

The checks are the repository's .clang-tidy (warnings are errors). A file that passed is linted
again only when something that decides its result changes: its own text, any header of the
repository, a .clang-tidy that applies to it, its compile command or clang-tidy itself. The sha256 of all of these is
its key; passed keys are kept in <database dir>/lint-ok/. System headers are not in the key: after
a package upgrade, `make lint LINT_FLAGS=--all` checks everything again.

Usage: tools/lint.py BUILD_DIR REGEX [--jobs N] [--all]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER_DIRS = ("harness", "tests", "bench", "guest-programs")


def digest_of_headers():
    """The repository's headers, as one digest."""
    digest = hashlib.sha256()
    for top in HEADER_DIRS:
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".h", ".hpp", ".inc")):
                    path = os.path.join(folder, name)
                    digest.update(os.path.relpath(path, ROOT).encode())
                    with open(path, "rb") as header:
                        digest.update(hashlib.sha256(header.read()).digest())
    return digest.hexdigest()


def tidy_version():
    out = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True, check=True)
    return out.stdout


def configs_of(path):
    """The .clang-tidy files that apply to `path`: its folder's and every parent's up to the root."""
    found = []
    folder = os.path.dirname(os.path.abspath(path))
    while folder.startswith(ROOT):
        config = os.path.join(folder, ".clang-tidy")
        if os.path.exists(config):
            with open(config, "rb") as f:
                found.append(config + hashlib.sha256(f.read()).hexdigest())
        if folder == ROOT:
            break
        folder = os.path.dirname(folder)
    return "".join(found)


def file_key(entry, common):
    digest = hashlib.sha256(common.encode())
    digest.update(configs_of(entry["file"]).encode())
    digest.update(json.dumps(entry.get("arguments") or entry.get("command"), sort_keys=True).encode())
    with open(entry["file"], "rb") as source:
        digest.update(source.read())
    return digest.hexdigest()


def lint(database_dir, path):
    run = subprocess.run(["clang-tidy", "-p", database_dir, "--quiet", path],
                         capture_output=True, text=True)
    # "N warnings generated." and the like are clang's counts of suppressed notes: not findings.
    findings = [line for line in (run.stdout + run.stderr).splitlines()
                if line and not re.match(r"^\d+ warnings? (and \d+ errors? )?generated\.$", line)
                and not line.startswith("Suppressed ") and not line.startswith("Use -header-filter")]
    clean = run.returncode == 0 and not any(": warning: " in line or ": error: " in line for line in findings)
    return clean, findings


def main():
    parser = argparse.ArgumentParser(description="clang-tidy over a compile database, skipping files that passed")
    parser.add_argument("build_dir")
    parser.add_argument("regex", help="which sources (a regex searched in their absolute paths)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--all", action="store_true", help="lint every matching file, passed or not")
    args = parser.parse_args()

    database = os.path.join(args.build_dir, "compile_commands.json")
    try:
        with open(database) as f:
            entries = json.load(f)
    except (OSError, ValueError) as error:
        sys.exit(f"lint: cannot read {database}: {error}")
    pattern = re.compile(args.regex)
    entries = [e for e in entries if pattern.search(os.path.abspath(e["file"]))]
    if not entries:
        sys.exit(f"lint: no source in {database} matches {args.regex}")

    common = tidy_version() + digest_of_headers()
    passed_dir = os.path.join(args.build_dir, "lint-ok")
    os.makedirs(passed_dir, exist_ok=True)
    todo = []
    for entry in entries:
        key = file_key(entry, common)
        if args.all or not os.path.exists(os.path.join(passed_dir, key)):
            todo.append((entry["file"], key))

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda item: (item, lint(args.build_dir, item[0])), todo)
        for (path, key), (clean, findings) in results:
            if clean:
                open(os.path.join(passed_dir, key), "w").close()
            else:
                failed.append(path)
                print("\n".join(findings) or f"{path}: clang-tidy failed", flush=True)
    print(f"lint: {len(entries)} files, {len(todo)} checked ({len(entries) - len(todo)} unchanged since they "
          f"passed), {len(failed)} with findings", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
