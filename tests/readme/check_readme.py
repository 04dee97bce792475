#!/usr/bin/env python3
"""Compiles and links every ```cpp block of README.md against the single header, the way a user
who copies it would: each compiler, each optimisation level, -Wall -Wextra -Wpedantic -Werror.

A block with its own `main` is compiled as it stands; a fragment is wrapped in a `main` given
here (after `#include <minihttp.hpp>` and the fragment's own includes), and linked with zlib if
it includes <minihttp/compression.hpp>. Nothing is run: the examples listen on fixed ports.

    tests/readme/check_readme.py                     # g++ and clang++, -O0 and -O2
    tests/readme/check_readme.py --levels 0,1,2,3    # the slower mode
Exit status 0 when every block compiled cleanly everywhere, 1 otherwise (the failures and the
compiler's messages are printed), 2 when README.md has no ```cpp block at all.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WRAPPER = """#include <minihttp.hpp>

#include <string>
#include <utility>

int main() {{
{body}
}}
"""


def blocks(readme):
    """(line number, source) of each ```cpp block, also those indented inside a list."""
    out, cur, start, indent = [], None, 0, ""
    with open(readme, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"^(\s*)```cpp\s*$", line)
            if cur is None and m:
                cur, start, indent = [], n, m.group(1)
            elif cur is not None and line.strip().startswith("```"):
                out.append((start, "".join(cur)))
                cur = None
            elif cur is not None:
                cur.append(line[len(indent):] if line.startswith(indent) else line)
    return out


def program(src):
    """The block as a whole program: fragments go inside a main(), their #includes before."""
    if re.search(r"\bint\s+main\s*\(", src):
        return src
    lines = src.rstrip("\n").split("\n")
    includes = [l for l in lines if l.startswith("#include")]
    body = "\n".join("    " + l if l else l for l in lines if not l.startswith("#include"))
    return "\n".join(includes) + "\n" + WRAPPER.format(body=body)


def compile_one(job):
    line, src, cxx, level, tmp = job
    name = f"readme_{line}_{os.path.basename(cxx)}_O{level}"
    path = os.path.join(tmp, name + ".cpp")
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)
    cmd = [cxx, "-std=c++20", f"-O{level}", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
           "-I", os.path.join(ROOT, "single_include"), path, "-o", os.path.join(tmp, name),
           "-pthread"] + (["-lz"] if "minihttp/compression.hpp" in src else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    return line, cxx, level, r.returncode, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    ap.add_argument("--compilers", default="g++,clang++")
    ap.add_argument("--levels", default="0,2")
    a = ap.parse_args()
    found = blocks(a.readme)
    if not found:
        print(f"no ```cpp block in {a.readme}")
        return 2
    with tempfile.TemporaryDirectory(prefix="minihttp-readme-") as tmp:
        jobs = [(line, program(src), cxx, level, tmp) for line, src in found
                for cxx in a.compilers.split(",") for level in a.levels.split(",")]
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            results = list(pool.map(compile_one, jobs))
    bad = 0
    for line, cxx, level, rc, msg in results:
        if rc == 0:
            print(f"ok    README.md:{line} with {cxx} -O{level}")
        else:
            bad += 1
            print(f"FAIL  README.md:{line} with {cxx} -O{level}\n{msg}")
    print(f"{len(results) - bad} compiled cleanly, {bad} failed "
          f"({len(found)} blocks x {len(a.compilers.split(','))} compilers x "
          f"{len(a.levels.split(','))} levels)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
