#!/usr/bin/env bash
# Proves the ways of consuming minihttp outside this repository: (1) as a Meson subproject
# through subproject('minihttp').get_variable('minihttp_dep'), and (2) installed with
# `meson install`, found through its pkg-config file. Exit 0 when both build and run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== subproject"
cp -r "$repo/tests/consumer/project" "$work/app"
mkdir -p "$work/app/subprojects/minihttp"
git -C "$repo" ls-files -z --cached --others --exclude-standard |
    (cd "$repo" && xargs -0 cp --parents -t "$work/app/subprojects/minihttp/")
meson setup "$work/app/build" "$work/app"
ninja -C "$work/app/build"
"$work/app/build/consumer"

echo "== meson install + pkg-config"
meson setup "$work/lib" "$repo" --prefix=/usr -Dtests=false -Dexamples=false -Dbenchmarks=disabled
DESTDIR="$work/root" meson install -C "$work/lib"
export PKG_CONFIG_SYSROOT_DIR="$work/root"
export PKG_CONFIG_PATH="$work/root/usr/lib/pkgconfig:$work/root/usr/lib/x86_64-linux-gnu/pkgconfig:$work/root/usr/share/pkgconfig"
flags=$(pkg-config --cflags --libs minihttp)
echo "pkg-config: $flags"
# shellcheck disable=SC2086
g++ -Wall -Wextra -Wpedantic -Werror "$repo/tests/consumer/project/main.cpp" $flags -o "$work/installed"
"$work/installed"
