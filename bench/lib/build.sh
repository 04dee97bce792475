# Shell helpers shared by bench/run and bench/attack (sourced; expects to run from the
# repository root with `set -euo pipefail`).

# build_release OUT TARGET...: a release build of this tree in OUT (configured once), quiet
# unless it fails.
build_release() {
    local out=$1
    shift
    mkdir -p "$out"
    if [ ! -f "$out/build.ninja" ]; then
        nice meson setup "$out" --buildtype=release -Dtests=disabled -Dbenchmarks=auto \
            >"$out/setup.log" 2>&1 || { cat "$out/setup.log" >&2; return 1; }
    fi
    nice ninja -C "$out" "$@" >"$out/ninja.log" 2>&1 || { cat "$out/ninja.log" >&2; return 1; }
}

# build_baseline REF DIR: builds minihttp-server as it is at git ref REF (a release build of
# that commit's tree, exported with `git archive` into DIR/<commit>/src, so that no worktree is
# registered and the working tree is untouched) and prints the binary's absolute path. A commit
# built before is reused.
build_baseline() {
    local ref=$1 dir=$2 sha src bld
    sha=$(git rev-parse --verify --quiet "$ref^{commit}") || {
        echo "bench: --baseline $ref is not a commit" >&2
        return 1
    }
    src=$dir/$sha/src
    bld=$dir/$sha/build
    if [ ! -f "$src/meson.build" ]; then
        rm -rf "$src"
        mkdir -p "$src"
        git archive "$sha" | tar -x -C "$src"
    fi
    if [ ! -f "$bld/build.ninja" ]; then
        local opts=(--buildtype=release)
        # `tests` was a boolean before it became a feature.
        if grep -q "option('tests', type: 'boolean'" "$src/meson_options.txt" 2>/dev/null; then
            opts+=(-Dtests=false)
        elif grep -q "option('tests'" "$src/meson_options.txt" 2>/dev/null; then
            opts+=(-Dtests=disabled)
        fi
        grep -q "option('benchmarks'" "$src/meson_options.txt" 2>/dev/null &&
            opts+=(-Dbenchmarks=disabled)
        nice meson setup "$bld" "$src" "${opts[@]}" >"$dir/$sha/setup.log" 2>&1 ||
            { cat "$dir/$sha/setup.log" >&2; return 1; }
    fi
    nice ninja -C "$bld" examples/minihttp-server >"$dir/$sha/ninja.log" 2>&1 ||
        { cat "$dir/$sha/ninja.log" >&2; return 1; }
    echo "$(cd "$bld" && pwd)/examples/minihttp-server"
}

# The exit trap of both scripts: every process group listed in the pid file (servers, and
# bench/attack's clients) is killed, however the script ends.
kill_listed() {
    local pidfile=$1 pid
    [ -f "$pidfile" ] || return 0
    while read -r pid; do
        [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$pidfile"
    rm -f "$pidfile"
}
