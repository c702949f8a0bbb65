#!/usr/bin/env bash
# Builds the busybox OCI image layout, offline, from Debian's busybox-static.
#
#   images/busybox/build.sh [OUT_DIR]        (default: build/images/busybox)
#
# The result has the shape `skopeo copy docker://busybox oci:DIR` gives: oci-layout,
# index.json (ref name "latest"), blobs/sha256/{manifest,config,one gzip layer}.
# The rootfs holds /bin/busybox, every applet of `busybox --list-full` as a hard link
# to it, /etc/passwd and /etc/group (root, nobody), and the usual empty directories.
# Output is deterministic (fixed mtimes = $SOURCE_DATE_EPOCH or 0, fixed entry order),
# and the build is skipped when the inputs have not changed.
# Needs: bash, python3, a static /bin/busybox (override with $BUSYBOX). No root needed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-build/images/busybox}"
busybox="${BUSYBOX:-/bin/busybox}"
epoch="${SOURCE_DATE_EPOCH:-0}"

die() { echo "build.sh: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 is required"
[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"

# Up to date when the busybox binary, these scripts and the epoch are unchanged.
stamp="$( { sha256sum "$busybox" "$here/build.sh" "$here/mkimage.py" | cut -d' ' -f1; echo "$epoch"; } | sha256sum | cut -d' ' -f1)"
if [ -f "$out/index.json" ] && [ "$(cat "$out/.build-stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "build.sh: $out is up to date"
    exit 0
fi

tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
python3 "$here/mkimage.py" --busybox "$busybox" --epoch "$epoch" --out "$tmp"
echo "$stamp" > "$tmp/.build-stamp"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
trap - EXIT
echo "build.sh: wrote $out"
