#!/usr/bin/env bash
# Proves the ways of consuming minihttp outside this repository: (1) as a Meson subproject
# through subproject('minihttp').get_variable('minihttp_dep'), (2) installed with
# `meson install`, found through its pkg-config file, and with CMake (3) add_subdirectory,
# (4) FetchContent from a local git URL (no network) and (5) find_package after
# `cmake --install`, with a version check. Exit 0 when all build and run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== subproject"
cp -r "$repo/tests/consumer/project" "$work/app"
mkdir -p "$work/app/subprojects/minihttp"
# A copy of the repository as a user would vendor it: the tracked and new files, no build/.
copy_repo() {
    mkdir -p "$1"
    git -C "$repo" ls-files -z --cached --others --exclude-standard |
        (cd "$repo" && xargs -0 cp --parents -t "$1/")
}
copy_repo "$work/app/subprojects/minihttp"
meson setup "$work/app/build" "$work/app"
ninja -C "$work/app/build"
"$work/app/build/consumer"

echo "== meson install + pkg-config"
meson setup "$work/lib" "$repo" --prefix=/usr -Dtests=disabled -Dexamples=false -Dbenchmarks=disabled
DESTDIR="$work/root" meson install -C "$work/lib"
export PKG_CONFIG_SYSROOT_DIR="$work/root"
export PKG_CONFIG_PATH="$work/root/usr/lib/pkgconfig:$work/root/usr/lib/x86_64-linux-gnu/pkgconfig:$work/root/usr/share/pkgconfig"
flags=$(pkg-config --cflags --libs minihttp)
echo "pkg-config: $flags"
# shellcheck disable=SC2086
g++ -Wall -Wextra -Wpedantic -Werror "$repo/tests/consumer/project/main.cpp" $flags -o "$work/installed"
"$work/installed"

# CMake: each consumer builds the same program as above (-Wall -Wextra -Wpedantic -Werror) and a
# second one that gzips through minihttp::compression (zlib), and runs both.
cmake_consumer() { # NAME CMAKE-ARGS...
    local name=$1
    shift
    cmake -S "$repo/tests/consumer/cmake" -B "$work/$name" -DCMAKE_BUILD_TYPE=Release "$@"
    cmake --build "$work/$name" -j 2
    "$work/$name/consumer"
    "$work/$name/compression_consumer"
}

echo "== cmake add_subdirectory"
copy_repo "$work/vendored"
cmake_consumer cmake-subdir -DMINIHTTP_MODE=subdirectory -DMINIHTTP_SOURCE="$work/vendored"

echo "== cmake FetchContent (a local git repository)"
# Committed state plus the working tree's changes, as one commit of a scratch repository.
git init -q "$work/git"
copy_repo "$work/git"
git -C "$work/git" add -A
git -C "$work/git" -c user.name=test -c user.email=test@invalid commit -qm snapshot
cmake_consumer cmake-fetch -DMINIHTTP_MODE=fetchcontent -DMINIHTTP_GIT="file://$work/git" \
    -DMINIHTTP_REF="$(git -C "$work/git" rev-parse HEAD)"

echo "== cmake --install + find_package"
cmake -S "$repo" -B "$work/cmake-lib" -DCMAKE_BUILD_TYPE=Release -DMINIHTTP_BUILD_EXAMPLES=OFF
cmake --install "$work/cmake-lib" --prefix "$work/cmake-prefix"
cmake_consumer cmake-package -DMINIHTTP_MODE=package -DCMAKE_PREFIX_PATH="$work/cmake-prefix"
# SameMajorVersion: a newer major version must not be accepted.
if cmake -S "$repo/tests/consumer/cmake" -B "$work/cmake-v1" -DMINIHTTP_MODE=package \
    -DMINIHTTP_WANT=1.0 -DCMAKE_PREFIX_PATH="$work/cmake-prefix" >"$work/v1.log" 2>&1; then
    echo "find_package(minihttp 1.0) accepted version $(grep -o 'VERSION [0-9.]*' \
        "$work/cmake-prefix/share/cmake/minihttp/minihttpConfigVersion.cmake" | head -n 1)"
    exit 1
fi
echo "find_package(minihttp 1.0) refused, as it should be"
