#!/usr/bin/env python3
"""Checks that every header under include/ has a test that includes it first.

STYLE.md §3.13: each header is tested by a tests/**/*.cpp whose first #include line is that
header, which proves the header compiles on its own (Boost.Beast's "test that header file is
self-contained"). The umbrella include/minihttp.hpp is exempt: it only includes the others.
A test file counts only if a tests/**/meson.build names it, since a file that is never compiled
proves nothing.

    python3 tools/check_header_tests.py       # exit 1, naming the headers, if any lacks a test
    python3 tools/check_header_tests.py -v    # also show which test covers each header
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE_LINE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
UMBRELLA = "minihttp.hpp"


def headers(root: pathlib.Path) -> list:
    """Every header as it is included ("minihttp/detail/fd.hpp"), except the umbrella."""
    include = root / "include"
    names = (p.relative_to(include).as_posix() for p in include.rglob("*.hpp"))
    return sorted(n for n in names if n != UMBRELLA)


def first_include(path: pathlib.Path):
    """The target of the first #include line of `path`, outside block comments; None if none."""
    in_comment = False
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if in_comment:
            if "*/" not in line:
                continue
            line = line[line.index("*/") + 2:]
            in_comment = False
        stripped = line.lstrip()
        if stripped.startswith("/*") and "*/" not in stripped:
            in_comment = True
            continue
        m = INCLUDE_LINE.match(line)
        if m:
            return m.group(2)
    return None


def built_test_files(root: pathlib.Path) -> set:
    """Names of the .cpp files some tests/**/meson.build mentions (as a quoted string)."""
    mentioned = set()
    for build in (root / "tests").rglob("meson.build"):
        text = build.read_text(encoding="utf-8")
        for quoted in re.findall(r"'([^']+\.cpp)'", text):
            mentioned.add((build.parent / quoted).resolve())
    return mentioned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="the project's top directory (default: this script's ../)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the test that covers each header")
    args = parser.parse_args()
    root = args.root.resolve()

    built = built_test_files(root)
    covered = {}
    unbuilt = {}
    for test in sorted((root / "tests").rglob("*.cpp")):
        target = first_include(test)
        if target is None or not target.startswith("minihttp/"):
            continue
        rel = test.relative_to(root).as_posix()
        if test.resolve() in built:
            covered.setdefault(target, []).append(rel)
        else:
            unbuilt.setdefault(target, []).append(rel)

    all_headers = headers(root)
    missing = [h for h in all_headers if h not in covered]
    if args.verbose:
        for h in all_headers:
            print(f"{h}: {', '.join(covered.get(h, [])) or '-'}")
    if missing:
        print(f"{len(missing)} of {len(all_headers)} headers under include/ lack a test that "
              "includes them first (STYLE.md §3.13):", file=sys.stderr)
        for h in missing:
            note = ""
            if h in unbuilt:
                note = f"  ({', '.join(unbuilt[h])} includes it first, but no meson.build builds it)"
            print(f"  include/{h}{note}", file=sys.stderr)
        print("add tests/test_<name>.cpp (test_detail_<name>.cpp for detail/) starting with "
              "`#include <minihttp/...>`, and list it in tests/meson.build", file=sys.stderr)
        return 1
    print(f"all {len(all_headers)} headers under include/ have a test that includes them first")
    return 0


if __name__ == "__main__":
    sys.exit(main())
