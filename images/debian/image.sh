#!/usr/bin/env bash
# Builds a Debian-based OCI image layout, offline from the machine's own apt sources.
#
#   images/debian/image.sh NAME [OUT]     (OUT default: build/images/NAME)
#
# NAME is a recipe in images/debian/recipes/NAME.conf (bash: PACKAGES, optional BASE,
# CONFIG, DESCRIPTION). The root filesystem is made by mmdebstrap (variant minbase,
# merged /usr, no docs/man pages/translations) from the apt sources in
# /etc/apt/sources.list.d/debian.sources (override with $CYRIUS_APT_SOURCES); with
# BASE, the image is the base image's layer plus one layer of what the packages add
# (images/lib/layout.py), as `FROM base` + `RUN apt-get install` would give.
#
# Results are cached outside the clone, keyed by every input (recipe, base recipe,
# these scripts, the apt sources, the mirror's Release files as apt last saw them,
# SOURCE_DATE_EPOCH):  ${CYRIUS_CACHE:-/var/cache/cyrius}/images/NAME-KEY/{rootfs,oci}.
# OUT becomes a symlink to the cached layout; rootfs stays for host-side comparisons
# (`images/debian/image.sh --rootfs NAME` prints its path).
# Needs: mmdebstrap, python3, root (or unprivileged user namespaces).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
cache="${CYRIUS_CACHE:-/var/cache/cyrius}/images"
sources="${CYRIUS_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
# 2025-05-20, the date of the snapshot the sources point at: fixed timestamps.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1747699200}"

die() { echo "debian/image.sh: $*" >&2; exit 1; }

print_rootfs=0
if [ "${1:-}" = "--rootfs" ]; then print_rootfs=1; shift; fi
name="${1:-}"
[ -n "$name" ] || die "usage: images/debian/image.sh [--rootfs] NAME [OUT]"
recipe="$here/recipes/$name.conf"
[ -f "$recipe" ] || die "no recipe $recipe (have: $(cd "$here/recipes" && ls | sed 's/\.conf$//' | tr '\n' ' '))"
out="${2:-$top/build/images/$name}"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found: run scripts/setup"
[ -f "$sources" ] || die "apt sources $sources not found (set CYRIUS_APT_SOURCES)"

# How every root is made (part of the cache key, with the recipe's packages).
MMDEBSTRAP_OPTS=(
    --variant=minbase --mode=auto
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --customize-hook='rm -f "$1"/etc/machine-id "$1"/var/cache/ldconfig/aux-cache "$1"/var/log/*.log "$1"/var/log/apt/*'
)

# Removes a directory made by mmdebstrap, first unmounting what an interrupted run left
# mounted inside it (/proc, /sys, /dev/pts), never crossing into another filesystem.
remove_root() {
    local d="$1" m
    [ -e "$d" ] || return 0
    for m in $(findmnt -rn -o TARGET | grep -F "$d/" | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$d"
}

# The cache key of a recipe: its text, its base's key, the tools, the mirror state.
key_of() {
    local r="$here/recipes/$1.conf" base
    base=$(BASE=; . "$r"; echo "${BASE:-}")
    {
        cat "$r" "$top/images/lib/layout.py" "$sources"
        printf '%s\n' "${MMDEBSTRAP_OPTS[@]}"
        cat /var/lib/apt/lists/*_InRelease 2>/dev/null | grep -E '^(Date|Valid-Until):' || true
        echo "$SOURCE_DATE_EPOCH"
        [ -z "$base" ] || key_of "$base"
    } | sha256sum | cut -c1-16
}

# Makes (once) the rootfs of recipe $1 in the cache; prints its directory.
rootfs_of() {
    local n="$1" k dir
    k=$(key_of "$n")
    dir="$cache/$n-$k"
    if [ ! -f "$dir/rootfs.done" ]; then
        local PACKAGES="" BASE="" EXTRA_HOOK=""
        . "$here/recipes/$n.conf"
        local base_pkgs=""
        if [ -n "$BASE" ]; then
            rootfs_of "$BASE" >/dev/null
            base_pkgs=$(PACKAGES=; . "$here/recipes/$BASE.conf"; echo "$PACKAGES")
        fi
        local all
        all=$(echo "$base_pkgs $PACKAGES" | tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
        echo "debian/image.sh: mmdebstrap $n (${all:-minbase})" >&2
        remove_root "$dir/rootfs"
        mkdir -p "$dir"
        mmdebstrap --quiet "${MMDEBSTRAP_OPTS[@]}" \
            ${EXTRA_HOOK:+--customize-hook="$EXTRA_HOOK"} \
            ${all:+--include="$all"} bookworm "$dir/rootfs" "$sources" >&2 \
            || die "mmdebstrap failed for $n"
        touch "$dir/rootfs.done"
        # Older builds of the same recipe are stale now.
        for old in "$cache/$n"-*; do
            [ "$old" = "$dir" ] || remove_root "$old"
        done
    fi
    echo "$dir"
}

dir=$(rootfs_of "$name")
if [ "$print_rootfs" = 1 ]; then
    echo "$dir/rootfs"
    exit 0
fi
if [ ! -f "$dir/oci/index.json" ]; then
    CONFIG='{}' BASE=""
    . "$recipe"
    base_args=()
    if [ -n "$BASE" ]; then
        base_args=(--base "$(rootfs_of "$BASE")/rootfs")
    fi
    echo "debian/image.sh: writing the OCI layout of $name" >&2
    rm -rf "$dir/oci.tmp"
    python3 "$top/images/lib/layout.py" --out "$dir/oci.tmp" --rootfs "$dir/rootfs" "${base_args[@]}" \
        --config "$CONFIG" --epoch "$SOURCE_DATE_EPOCH" --created-by "images/debian/image.sh $name" \
        || die "layout.py failed for $name"
    mv "$dir/oci.tmp" "$dir/oci"
fi
mkdir -p "$(dirname "$out")"
rm -rf "$out"
ln -s "$dir/oci" "$out"
echo "debian/image.sh: $out -> $dir/oci" >&2
