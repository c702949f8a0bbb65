#!/usr/bin/env python3
"""Writes an OCI image layout from root filesystem directories, deterministically.

    layout.py --out DIR --rootfs ROOT [--base BASE] [--config JSON] [--epoch N] [--ref NAME]

With --base, the image has two layers: BASE whole, then what ROOT changes relative to
BASE (new or changed entries, and a `.wh.NAME` whiteout for each entry BASE has and ROOT
lacks), the shape `FROM base` + `RUN apt-get install` gives in a registry image. The
base layer's bytes depend only on BASE and the epoch, so images built on one base share
that blob. Without --base, one layer holds ROOT.

Tar entries: directories, files, symlinks and hard links with their modes, owners and
mtimes clamped to --epoch (SOURCE_DATE_EPOCH semantics); device nodes, FIFOs and
sockets are left out (the runtime provides /dev), as are the contents of /dev, /proc,
/sys, /run and /tmp. Entries are in sorted path order; a hard link always follows the
first path of its inode in the same layer. gzip has no name and mtime 0.
--config is the image config's `config` object (Env, Cmd, Entrypoint, WorkingDir,
ExposedPorts, User) as JSON.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile
import time

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
# Directories whose contents never go into an image (mount points at run time).
EMPTY_DIRS = {"dev", "proc", "sys", "run", "tmp"}


def fail(msg):
    sys.exit(f"layout.py: {msg}")


def walk(root):
    """Relative paths of every entry under root (sorted, parents first), with lstat."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        rel = "" if rel == "." else rel
        if rel in EMPTY_DIRS:
            dirnames[:] = []
            continue
        dirnames.sort()
        for name in dirnames + filenames:
            path = os.path.join(rel, name) if rel else name
            st = os.lstat(os.path.join(root, path))
            if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                entries[path] = st
    return dict(sorted(entries.items()))


def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


def same(base_root, root, path, a, b):
    """True when the entry is the same in both trees (type, mode, owner, content)."""
    if stat.S_IFMT(a.st_mode) != stat.S_IFMT(b.st_mode):
        return False
    if (a.st_mode, a.st_uid, a.st_gid) != (b.st_mode, b.st_uid, b.st_gid):
        return False
    if stat.S_ISLNK(a.st_mode):
        return os.readlink(os.path.join(base_root, path)) == os.readlink(os.path.join(root, path))
    if stat.S_ISREG(a.st_mode):
        return a.st_size == b.st_size and file_hash(os.path.join(base_root, path)) == file_hash(os.path.join(root, path))
    return True


def layer_tar(root, entries, whiteouts, epoch):
    """An uncompressed tar of `entries` (path -> lstat) under root plus whiteouts."""
    buf = io.BytesIO()
    first_path = {}
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        items = [(p, st) for p, st in entries.items()] + [(w, None) for w in whiteouts]
        items.sort(key=lambda item: item[0])
        for path, st in items:
            info = tarfile.TarInfo(path)
            info.mtime = epoch
            info.uname = info.gname = ""
            if st is None:  # a whiteout: an empty regular file
                info.type, info.mode = tarfile.REGTYPE, 0o644
                tar.addfile(info)
                continue
            info.mode = stat.S_IMODE(st.st_mode)
            info.uid, info.gid = st.st_uid, st.st_gid
            info.mtime = min(int(st.st_mtime), epoch) if epoch else int(st.st_mtime)
            full = os.path.join(root, path)
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif stat.S_ISLNK(st.st_mode):
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(full)
                tar.addfile(info)
            elif st.st_nlink > 1 and (st.st_dev, st.st_ino) in first_path:
                info.type, info.linkname = tarfile.LNKTYPE, first_path[(st.st_dev, st.st_ino)]
                tar.addfile(info)
            else:
                if st.st_nlink > 1:
                    first_path[(st.st_dev, st.st_ino)] = path
                info.type, info.size = tarfile.REGTYPE, st.st_size
                with open(full, "rb") as f:
                    tar.addfile(info, f)
    return buf.getvalue()


def diff_entries(base_root, base, root, new):
    """What `new` adds or changes over `base`, and the whiteouts for what it removes.

    A hard-link group with any changed member is written whole, so every link in the
    layer has its target in the same layer."""
    changed = {p: st for p, st in new.items() if p not in base or not same(base_root, root, p, base[p], st)}
    groups = {}
    for p, st in new.items():
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            groups.setdefault((st.st_dev, st.st_ino), []).append(p)
    for members in groups.values():
        if any(m in changed for m in members):
            for m in members:
                changed[m] = new[m]
    # A changed entry's parent directories go along (a tar needs them to exist).
    for p in list(changed):
        parent = os.path.dirname(p)
        while parent and parent not in changed:
            changed[parent] = new[parent]
            parent = os.path.dirname(parent)
    removed = [p for p in base if p not in new]
    # Only the topmost removed path of a removed subtree needs a whiteout.
    removed_set = set(removed)
    whiteouts = []
    for p in removed:
        parent = os.path.dirname(p)
        if parent in removed_set:
            continue
        whiteouts.append(os.path.join(parent, ".wh." + os.path.basename(p)) if parent else ".wh." + p)
        while parent and parent not in changed:
            changed[parent] = new[parent]
            parent = os.path.dirname(parent)
    return dict(sorted(changed.items())), sorted(whiteouts)


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=6, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def write_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(out, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--base")
    ap.add_argument("--config", default="{}")
    ap.add_argument("--epoch", type=int, default=0)
    ap.add_argument("--ref", default="latest")
    ap.add_argument("--created-by", default="images/lib/layout.py")
    args = ap.parse_args()
    config_obj = json.loads(args.config)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(args.epoch))
    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)

    new = walk(args.rootfs)
    layers = []
    if args.base:
        base = walk(args.base)
        layers.append(layer_tar(args.base, base, [], args.epoch))
        entries, whiteouts = diff_entries(args.base, base, args.rootfs, new)
        layers.append(layer_tar(args.rootfs, entries, whiteouts, args.epoch))
    else:
        layers.append(layer_tar(args.rootfs, new, [], args.epoch))

    layer_descs = [{"mediaType": MEDIA_LAYER, **write_blob(args.out, gzip_bytes(t))} for t in layers]
    history = [{"created": created, "created_by": args.created_by}]
    if args.base:
        history.insert(0, {"created": created, "created_by": args.created_by + " (base)"})
    config = {
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": config_obj,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(t).hexdigest() for t in layers]},
        "history": history,
    }
    config_desc = {"mediaType": MEDIA_CONFIG, **write_blob(args.out, compact(config))}
    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": config_desc, "layers": layer_descs}
    manifest_desc = {"mediaType": MEDIA_MANIFEST, **write_blob(args.out, compact(manifest))}
    manifest_desc["annotations"] = {"org.opencontainers.image.ref.name": args.ref}
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(compact({"schemaVersion": 2, "manifests": [manifest_desc]}))
    with open(os.path.join(args.out, "oci-layout"), "wb") as f:
        f.write(compact({"imageLayoutVersion": "1.0.0"}))


if __name__ == "__main__":
    main()
