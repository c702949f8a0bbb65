#!/usr/bin/env python3
"""Writes the busybox OCI image layout for images/busybox/build.sh (which documents it).

Deterministic: every tar entry is root-owned with mtime = --epoch; entries are ordered
directories (sorted), regular files (sorted), then hard links (sorted), so each link
follows its target; gzip carries no name and mtime 0; JSON is compact with fixed keys.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import time

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PASSWD = b"""root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP = b"""root:x:0:
tty:x:5:
nogroup:x:65534:
"""
# Directories every container expects, with their modes.
DIRS = {
    "bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "proc": 0o755,
    "root": 0o700, "sbin": 0o755, "sys": 0o755, "tmp": 0o1777, "usr": 0o755,
    "usr/bin": 0o755, "usr/sbin": 0o755, "var": 0o755, "var/spool": 0o755,
    "var/spool/mail": 0o755, "var/www": 0o755,
}


def fail(msg):
    sys.exit(f"mkimage.py: {msg}")


def check_static(data):
    """Refuses a dynamically linked busybox (it would not run in the image)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        fail("busybox is not a 64-bit ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            fail("busybox is dynamically linked; install busybox-static")


def applets(busybox):
    listing = subprocess.run([busybox, "--list-full"], check=True, capture_output=True, text=True).stdout
    paths = sorted({line.strip().lstrip("/") for line in listing.splitlines() if line.strip()})
    if "bin/busybox" not in paths:
        paths.append("bin/busybox")
    return sorted(paths)


def version(busybox):
    banner = subprocess.run([busybox], capture_output=True, text=True).stdout.splitlines()
    return banner[0].strip() if banner else "BusyBox"


def layer_tar(busybox_bytes, applet_paths, epoch):
    dirs = dict(DIRS)
    for path in applet_paths:
        parent = os.path.dirname(path)
        while parent:
            dirs.setdefault(parent, 0o755)
            parent = os.path.dirname(parent)
    files = {"bin/busybox": (0o755, busybox_bytes), "etc/passwd": (0o644, PASSWD), "etc/group": (0o644, GROUP)}
    links = [p for p in applet_paths if p != "bin/busybox"]

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        def add(name, kind, mode, data=b"", link=""):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime, info.linkname = kind, mode, epoch, link
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
        for name in sorted(dirs):
            add(name + "/", tarfile.DIRTYPE, dirs[name])
        for name in sorted(files):
            mode, data = files[name]
            add(name, tarfile.REGTYPE, mode, data)
        for name in sorted(links):
            add(name, tarfile.LNKTYPE, 0o755, link="bin/busybox")
    return buf.getvalue()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def write_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--epoch", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.busybox, "rb") as f:
        busybox_bytes = f.read()
    check_static(busybox_bytes)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(args.epoch))

    tar = layer_tar(busybox_bytes, applets(args.busybox), args.epoch)
    layer = gzip_bytes(tar)
    os.makedirs(os.path.join(args.out, "blobs", "sha256"))
    layer_desc = {"mediaType": MEDIA_LAYER, **write_blob(args.out, layer)}

    config = {
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": [DEFAULT_PATH], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        "history": [{"created": created, "created_by": f"images/busybox/build.sh ({version(args.busybox)})"}],
    }
    config_desc = {"mediaType": MEDIA_CONFIG, **write_blob(args.out, compact(config))}
    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": config_desc, "layers": [layer_desc]}
    manifest_desc = {"mediaType": MEDIA_MANIFEST, **write_blob(args.out, compact(manifest))}
    manifest_desc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}

    index = {"schemaVersion": 2, "manifests": [manifest_desc]}
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(compact(index))
    with open(os.path.join(args.out, "oci-layout"), "wb") as f:
        f.write(b'{"imageLayoutVersion": "1.0.0"}')


if __name__ == "__main__":
    main()
