# Sourced by tools/serve and tools/test: installs the Debian packages a command needs.
# Idempotent and silent when everything is present; installs with apt-get otherwise (as root,
# or through sudo when available).

ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo=(sudo); else
            echo "missing packages: ${missing[*]} (run as root to install them)" >&2
            return 1
        fi
    fi
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get update -qq >/dev/null ||
        ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        echo "apt-get could not install: ${missing[*]}" >&2
        return 1
    fi
}
