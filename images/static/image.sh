#!/usr/bin/env bash
# Builds the static-server OCI images from the sources in userland/servers.
#
#   images/static/image.sh NAME [OUT]      NAME: goserver | tokioserver
#                                          (OUT default: build/images/NAME)
#
# goserver: Go (CGO_ENABLED=0, Debian's golang-go), a static non-PIE binary.
# tokioserver: Rust on tokio's multi-threaded runtime, x86_64-unknown-linux-musl,
# a static-PIE binary (its Cargo.lock pins every crate).
# Each image has one layer: the binary in /usr/local/bin, /etc/passwd, /etc/group
# and /tmp, like a `FROM scratch` image. Deterministic (SOURCE_DATE_EPOCH), rebuilt
# only when the sources, the compiler or these scripts change.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1747699200}"
die() { echo "static/image.sh: $*" >&2; exit 1; }

name="${1:-}"
out="${2:-$top/build/images/$name}"
src="$top/userland/servers/$name"
[ -d "$src" ] || die "usage: images/static/image.sh goserver|tokioserver [OUT]"
work="$top/build/servers/$name"
mkdir -p "$work"

case "$name" in
    goserver)
        command -v go >/dev/null || die "go not found: run scripts/setup (golang-go)"
        compiler=$(go version)
        port=8080
        ;;
    tokioserver)
        compiler=$(cd "$src" && rustc --version)
        port=8081
        ;;
    *) die "unknown server $name" ;;
esac

stamp=$( { find "$src" -path "$src/target" -prune -o -type f -print | sort | xargs sha256sum; \
           sha256sum "$here/image.sh" "$top/images/lib/layout.py"; echo "$compiler $SOURCE_DATE_EPOCH"; } | sha256sum | cut -c1-16)
if [ -f "$out/index.json" ] && [ "$(cat "$work/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "static/image.sh: $out is up to date" >&2
    exit 0
fi

rm -rf "$work/rootfs"
mkdir -p "$work/rootfs/usr/local/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
case "$name" in
    goserver)
        (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOCACHE="$work/gocache" \
            go build -trimpath -ldflags='-s -w -buildid=' -o "$work/rootfs/usr/local/bin/goserver" .) \
            || die "go build failed"
        ;;
    tokioserver)
        (cd "$src" && cargo build --quiet --locked --release --target x86_64-unknown-linux-musl \
            --target-dir "$work/target") || die "cargo build failed (rustup target add x86_64-unknown-linux-musl?)"
        cp "$work/target/x86_64-unknown-linux-musl/release/tokioserver" "$work/rootfs/usr/local/bin/"
        ;;
esac
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
config=$(printf '{"Env":["PATH=/usr/local/bin"],"Entrypoint":["/usr/local/bin/%s"],"ExposedPorts":{"%s/tcp":{}}}' "$name" "$port")
rm -rf "$out.tmp"
mkdir -p "$(dirname "$out")"
python3 "$top/images/lib/layout.py" --out "$out.tmp" --rootfs "$work/rootfs" --config "$config" \
    --epoch "$SOURCE_DATE_EPOCH" --created-by "images/static/image.sh $name ($compiler)"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$stamp" > "$work/stamp"
echo "static/image.sh: wrote $out" >&2
