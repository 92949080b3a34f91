#!/usr/bin/env python3
"""Builds gorae's bundled OCI image layout (images/layout) from pinned Debian packages.

Standard library only. Called by build.sh; see README.md for the contract.

Everything that ends up in a blob is a pure function of the pinned .deb files and this script:
file times are clamped to one epoch per layer (the newest file time found in that layer's
packages, which dpkg-deb already clamps to each package's changelog date), owners and modes
are set explicitly (no root, no fakeroot), entries are sorted, and layers are compressed with
`gzip -n -9` (no name, no time stamp), a gzip member per MiB of tar (see gzip_bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from customize import customize_nginx, customize_redis, customize_registry
from fstree import (
    MERGED_USR, BuildError, Entry, Tree, add_dir, add_file, add_symlink, complete_parents, diff,
    ensure_parents, put, usr_path,
)

HERE = Path(__file__).resolve().parent
LOCK = HERE / "packages.lock"
README = HERE / "README.md"

# Essential-set packages of a minimal Debian 12 userland (what `docker run -it debian bash` users
# reach for), plus dash for /bin/sh. Their dependencies are added by resolution. Only packages
# Docker Hub's debian:12 has too: no procps, so `ps` fails here as it does there (lesson 04).
DEBIAN_ROOTS = [
    "base-files", "base-passwd", "bash", "coreutils", "dash", "debianutils", "findutils",
    "grep", "gzip", "hostname", "libc-bin", "mawk", "ncurses-base", "ncurses-bin",
    "sed", "tar",
]

# Dependencies deliberately not installed: each is only used by maintainer scripts or by an
# init system, neither of which runs in these images. What their scripts would have done and
# matters (users, directories, /etc files) is done by this script instead.
SKIPPED = {
    "debconf": "answers maintainer-script questions; maintainer scripts are not run",
    "debconf-2.0": "virtual package of debconf",
    "adduser": "creates system users from maintainer scripts; users are written directly",
    "passwd": "needed only by adduser",
    "init-system-helpers": "integrates services with an init system; containers have none",
    "lsb-base": "helpers for SysV init scripts",
    "sysvinit-utils": "SysV init tools",
    "iproute2": "nginx depends on it only for its init/systemd integration",
    "usrmerge": "the build lays out the merged /usr itself",
    "usr-is-merged": "the build lays out the merged /usr itself",
}

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


DROP_PREFIXES = (
    "usr/share/man/", "usr/share/info/", "usr/share/locale/", "usr/share/lintian/",
    "usr/share/bug/", "usr/share/menu/", "usr/share/doc-base/", "usr/share/linda/",
    "usr/share/gtk-doc/", "usr/share/help/",
)
KEEP_EXACT = {"usr/share/locale/locale.alias"}

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
DESCRIPTION = "org.opencontainers.image.description"

# What `docker search` shows for each image: Docker Hub's short description of the official
# image, carried in the index so the catalog describes itself.
DESCRIPTIONS = {
    "busybox": "Busybox base image.",
    "debian": "Debian is a Linux distribution that's composed entirely of free and open-source software.",
    "redis": "Redis is the world’s fastest data platform for caching, vector search, and NoSQL databases.",
    "nginx": "Official build of Nginx.",
    "registry": "Distribution implementation for storing and distributing of container images and artifacts",
}

# `docker run --init`'s init: Debian's statically linked tini (Docker's docker-init is tini
# too), at layout/init/docker-init so the catalog and its init travel together.
INIT_PACKAGE = "tini"
INIT_MEMBER = "usr/bin/tini-static"
INIT_PATH = "init/docker-init"



def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, **kw)
    except subprocess.CalledProcessError as e:
        raise BuildError(f"command failed ({e.returncode}): {' '.join(cmd)}") from e


def oci_arch() -> str:
    deb = run(["dpkg", "--print-architecture"]).stdout.decode().strip()
    table = {"amd64": "amd64", "arm64": "arm64", "i386": "386", "armhf": "arm",
             "ppc64el": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
    if deb not in table:
        raise BuildError(f"unsupported dpkg architecture {deb}")
    return table[deb]


# ---------------------------------------------------------------------------------------------
# Debian control data and dependency resolution


def parse_control(text: str) -> dict[str, str]:
    """One control paragraph, field order kept (dicts keep insertion order)."""
    fields: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t" and key is not None:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def parse_relations(value: str) -> list[list[str]]:
    """'a (>= 1) | b:any, c' -> [['a', 'b'], ['c']] (names only)."""
    groups = []
    for group in value.split(","):
        group = group.strip()
        if not group:
            continue
        alts = []
        for alt in group.split("|"):
            name = re.split(r"[\s(\[<]", alt.strip(), maxsplit=1)[0]
            alts.append(name.split(":")[0])
        groups.append(alts)
    return groups


def depends_of(control: dict[str, str]) -> list[list[str]]:
    return parse_relations(control.get("Pre-Depends", "")) + parse_relations(control.get("Depends", ""))


def provides_of(control: dict[str, str]) -> list[str]:
    return [alts[0] for alts in parse_relations(control.get("Provides", ""))]


def resolve(roots: list[str], installed: set[str], lookup, provided_by) -> list[str]:
    """Closure of `roots` over Depends/Pre-Depends, without what `installed` already has.

    `lookup(name)` returns a control dict or None (no such real package); `provided_by(name)`
    returns the packages providing a virtual name. For alternatives the first one already
    installed or chosen wins, else the first skipped one, else the first that exists.
    """
    chosen: list[str] = []
    have = set(installed)
    provides = {}
    for name in have:
        c = lookup(name)
        for v in provides_of(c) if c else []:
            provides.setdefault(v, name)

    def satisfied(name: str) -> bool:
        return name in have or name in provides

    queue = list(roots)
    while queue:
        name = queue.pop(0)
        if satisfied(name) or name in SKIPPED:
            continue
        control = lookup(name)
        if control is None:
            candidates = provided_by(name)
            if not candidates:
                raise BuildError(f"no package named or providing {name}")
            control = lookup(candidates[0])
            name = candidates[0]
            if satisfied(name):
                continue
        have.add(name)
        chosen.append(name)
        for v in provides_of(control):
            provides.setdefault(v, name)
        for alts in depends_of(control):
            if any(satisfied(a) for a in alts) or any(a in queue for a in alts):
                continue
            skipped = [a for a in alts if a in SKIPPED]
            if skipped:
                continue
            for a in alts:
                if lookup(a) is not None or provided_by(a):
                    queue.append(a)
                    break
            else:
                raise BuildError(f"{name}: cannot satisfy dependency {' | '.join(alts)}")
    return chosen


@dataclass
class ImageSpec:
    name: str
    roots: list[str]
    base: str | None  # the image this one is a layer on top of


IMAGES = [
    ImageSpec("busybox", ["busybox-static"], None),
    ImageSpec("debian", DEBIAN_ROOTS, None),
    ImageSpec("redis", ["redis-server", "redis-tools"], "debian"),
    ImageSpec("nginx", ["nginx"], "debian"),
    ImageSpec("registry", ["docker-registry"], "debian"),
]
SPEC = {s.name: s for s in IMAGES}


def update_lock() -> None:
    """Pins apt's current candidates of every package the images need."""
    cache: dict[str, dict | None] = {}

    def lookup(name: str):
        if name not in cache:
            out = subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
            paras = [p for p in out.split("\n\n") if p.strip()]
            cache[name] = parse_control(paras[0]) if paras else None
        return cache[name]

    def provided_by(name: str) -> list[str]:
        out = subprocess.run(["apt-cache", "showpkg", name], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
        part = out.split("Reverse Provides:", 1)
        if len(part) < 2:
            return []
        return sorted({line.split()[0] for line in part[1].splitlines() if line.strip()})

    closure: dict[str, list[str]] = {}
    for spec in IMAGES:
        base = set(closure_all(spec.base, closure)) if spec.base else set()
        closure[spec.name] = resolve(spec.roots, base, lookup, provided_by)
    names = sorted({n for pkgs in closure.values() for n in pkgs} | {INIT_PACKAGE})
    lines = [f"{n}={lookup(n)['Version']}" for n in names]
    LOCK.write_text("".join(line + "\n" for line in lines))
    print(f"wrote {LOCK} ({len(lines)} packages)")


def closure_all(name: str | None, closure: dict[str, list[str]]) -> list[str]:
    """Every package of image `name`, its bases' included."""
    out: list[str] = []
    while name:
        out = closure[name] + out
        name = SPEC[name].base
    return out


def read_lock() -> dict[str, str]:
    pins = {}
    for n, line in enumerate(LOCK.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("=")
        if not sep:
            raise BuildError(f"{LOCK}:{n}: expected name=version")
        pins[name] = version
    return pins


# ---------------------------------------------------------------------------------------------
# Downloads


@dataclass
class Deb:
    name: str
    version: str
    path: Path
    uri: str
    control: dict[str, str]
    files: list[str] = field(default_factory=list)  # as dpkg would list them (unmerged paths)
    md5sums: list[str] = field(default_factory=list)  # "<md5>  <path>" of the regular files kept


def fetch(pins: dict[str, str], cache: Path) -> dict[str, Deb]:
    cache.mkdir(parents=True, exist_ok=True)
    debs: dict[str, Deb] = {}
    missing = []
    for name, version in pins.items():
        meta = cache / f"{name}={version.replace(':', '%3a')}.uri"
        if meta.exists():
            uri, filename, sha = meta.read_text().split()
            path = cache / filename
            if path.exists() and sha256_file(path) == sha:
                debs[name] = Deb(name, version, path, uri, {})
                continue
        missing.append(name)
    if missing:
        wanted = [f"{n}={pins[n]}" for n in missing]
        out = run(["apt-get", "download", "--print-uris", *wanted], cwd=cache).stdout.decode()
        uris = {}
        for line in out.splitlines():
            m = re.match(r"'([^']+)' (\S+) \d+ SHA256:([0-9a-f]{64})", line)
            if m:
                uris[m.group(2)] = (m.group(1), m.group(3))
        print(f"downloading {len(missing)} packages into {cache}", file=sys.stderr)
        run(["apt-get", "download", "-q", *wanted], cwd=cache, stderr=subprocess.DEVNULL)
        for name in missing:
            version = pins[name]
            hits = [f for f in uris if f.startswith(f"{name}_")
                    and f.split("_")[1].replace("%3a", ":") == version]
            if len(hits) != 1:
                raise BuildError(f"apt did not report a download for {name}={version}")
            filename = hits[0]
            uri, sha = uris[filename]
            path = cache / filename
            if sha256_file(path) != sha:
                raise BuildError(f"{filename}: checksum mismatch")
            meta = cache / f"{name}={version.replace(':', '%3a')}.uri"
            meta.write_text(f"{uri} {filename} {sha}\n")
            debs[name] = Deb(name, version, path, uri, {})
    for deb in debs.values():
        deb.control = parse_control(run(["dpkg-deb", "-f", str(deb.path)]).stdout.decode())
        if deb.control.get("Version") != deb.version:
            raise BuildError(f"{deb.path}: version {deb.control.get('Version')} != pin {deb.version}")
    return debs


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# File trees



def dropped(path: str) -> bool:
    if path in KEEP_EXACT:
        return False
    if path.startswith("usr/share/doc/"):
        parts = path.split("/")
        # keep usr/share/doc/<pkg> and usr/share/doc/<pkg>/copyright (the licence)
        return not (len(parts) == 4 or (len(parts) == 5 and parts[4] == "copyright"))
    return any(path.startswith(p) or path + "/" == p for p in DROP_PREFIXES)


def deb_members(deb: Deb) -> tuple[list[tuple[tarfile.TarInfo, bytes]], int]:
    """The package's file system tar (as dpkg-deb reads it) and its newest file time."""
    raw = run(["dpkg-deb", "--fsys-tarfile", str(deb.path)]).stdout
    out = []
    newest = 0
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tf:
        for m in tf:
            data = tf.extractfile(m).read() if m.isreg() else b""
            out.append((m, data))
            newest = max(newest, int(m.mtime))
    return out, newest


def clean(name: str) -> str:
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def add_deb(tree: Tree, deb: Deb, merged: bool) -> int:
    """Unpacks `deb` into `tree` (as `dpkg-deb -x` would, minus docs); returns newest mtime."""
    members, newest = deb_members(deb)
    mapped_of: dict[str, str] = {}
    deb.files = []
    deb.md5sums = []
    for m, data in members:
        orig = clean(m.name)
        if not orig:
            deb.files.append("/.")
            continue
        path = usr_path(orig) if merged else orig
        mapped_of[orig] = path
        if dropped(path):
            continue
        deb.files.append("/" + orig)
        if m.isreg() or m.islnk():
            md5 = hashlib.md5(data if m.isreg() else tree[mapped_of[clean(m.linkname)]].data).hexdigest()
            deb.md5sums.append(f"{md5}  {orig}")
        mode = m.mode & 0o7777
        if m.isdir():
            entry = Entry("dir", mode, m.uid, m.gid)
        elif m.isreg():
            entry = Entry("file", mode, m.uid, m.gid, data=data)
        elif m.issym():
            target = m.linkname
            if merged and not target.startswith("/"):
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(orig), target))
                new_target = usr_path(resolved)
                if path != orig or new_target != resolved:
                    target = posixpath.relpath(new_target, posixpath.dirname(path) or ".")
            entry = Entry("symlink", 0o777, m.uid, m.gid, target=target)
        elif m.islnk():
            src = mapped_of.get(clean(m.linkname))
            if src is None or src not in tree:
                raise BuildError(f"{deb.name}: hard link {orig} to unknown {m.linkname}")
            first = tree[src]
            if first.ino is None:
                first.ino = src
            entry = replace(first, uid=m.uid, gid=m.gid, mode=mode)
        else:
            raise BuildError(f"{deb.name}: unsupported member type for {orig}")
        put(tree, path, entry, deb.name)
    return newest



# ---------------------------------------------------------------------------------------------
# Layer and blob writing


def names_of(tree: Tree) -> tuple[dict[int, str], dict[int, str]]:
    users, groups = {0: "root"}, {0: "root"}
    for path, table in (("etc/passwd", users), ("etc/group", groups)):
        entry = tree.get(path)
        if entry is None:
            continue
        for line in entry.data.decode().splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                table.setdefault(int(parts[2]), parts[0])
    return users, groups


def layer_tar(layer: Tree, mtime: int, names_from: Tree) -> bytes:
    users, groups = names_of(names_from)
    buf = io.BytesIO()
    first_of_ino: dict[str, str] = {}
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for path in sorted(layer):
            e = layer[path]
            ti = tarfile.TarInfo(path)
            ti.mode = e.mode
            ti.uid, ti.gid = e.uid, e.gid
            ti.uname, ti.gname = users.get(e.uid, ""), groups.get(e.gid, "")
            ti.mtime = mtime
            payload = None
            if e.kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif e.kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = e.target
            elif e.ino is not None and e.ino in first_of_ino:
                ti.type = tarfile.LNKTYPE
                ti.linkname = first_of_ino[e.ino]
            else:
                if e.ino is not None:
                    first_of_ino[e.ino] = path
                ti.type = tarfile.REGTYPE
                ti.size = len(e.data)
                payload = io.BytesIO(e.data)
            tf.addfile(ti, payload)
    return buf.getvalue()


# A layer's tar is cut into pieces of this many bytes, each compressed as a gzip member of its
# own, so gorae inflates a layer's members on all cores at once (crates/engine/src/image/
# members.rs). Any gzip reader reads the members one after another as the one tar.
MEMBER_BYTES = 1 << 20


def gzip_bytes(raw: bytes) -> bytes:
    """`raw` as gzip members of MEMBER_BYTES each, every member recording its own length in an
    extra subfield "GR" (4 bytes, little-endian, the member's length from its first header
    byte through its trailer), so a reader finds each member without inflating the one before."""
    out = bytearray()
    for start in range(0, max(len(raw), 1), MEMBER_BYTES):
        # GNU gzip's deflate has produced the same bytes for decades; zlib's output has not.
        member = run(["gzip", "-n", "-9", "-c"], input=raw[start:start + MEMBER_BYTES]).stdout
        # gzip -n writes FLG 0 and MTIME 0: set FEXTRA and put the subfield after the 10-byte
        # header (XLEN 8: SI1 SI2, SLEN 4, the length).
        if member[:4] != b"\x1f\x8b\x08\x00":
            raise BuildError(f"gzip wrote an unexpected header: {member[:10].hex()}")
        length = len(member) + 10
        out += member[:3] + b"\x04" + member[4:10] + struct.pack("<H2sHI", 8, b"GR", 4, length) + member[10:]
    return bytes(out)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    def __init__(self, root: Path):
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        self.manifests: list[dict] = []

    def blob(self, data: bytes, media_type: str) -> dict:
        digest = sha256(data)
        path = self.root / "blobs" / "sha256" / digest.split(":", 1)[1]
        if not path.exists():
            path.write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def json_blob(self, obj: dict, media_type: str) -> dict:
        return self.blob(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(), media_type)

    def tag(self, manifest: dict, ref: str) -> None:
        repo = ref.split(":", 1)[0]
        self.manifests.append({**manifest, "annotations": {DESCRIPTION: DESCRIPTIONS[repo], REF_NAME: ref}})

    def finish(self) -> None:
        (self.root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                 "manifests": sorted(self.manifests, key=lambda m: m["annotations"][REF_NAME])}
        (self.root / "index.json").write_text(json.dumps(index, indent=2) + "\n")


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The images



def add_dpkg_lists(tree: Tree, debs: list[Deb]) -> None:
    """var/lib/dpkg/info/<package>.list, so `dpkg -L` and `dpkg -S` answer."""
    for deb in debs:
        arch = deb.control.get("Architecture", "all")
        name = f"{deb.name}:{arch}" if deb.control.get("Multi-Arch") == "same" else deb.name
        add_file(tree, f"var/lib/dpkg/info/{name}.list", "".join(f + "\n" for f in deb.files))
        add_file(tree, f"var/lib/dpkg/info/{name}.md5sums", "".join(f + "\n" for f in deb.md5sums))


def dpkg_status(debs: list[Deb]) -> str:
    paras = []
    for deb in sorted(debs, key=lambda d: d.name):
        lines = []
        for k, v in deb.control.items():
            lines.append(f"{k}: {v}")
            if k == "Package":
                lines.append("Status: install ok installed")
        paras.append("\n".join(lines) + "\n")
    return "\n".join(paras)


def upstream(version: str) -> str:
    v = version.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def build_busybox(debs: dict[str, Deb]) -> tuple[Tree, int]:
    tree: Tree = {}
    newest = add_deb(tree, debs["busybox-static"], merged=False)
    busybox = tree.get("bin/busybox")
    if busybox is None:
        raise BuildError("busybox-static has no bin/busybox")
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "busybox"
        exe.write_bytes(busybox.data)
        exe.chmod(0o755)
        applets = run([str(exe), "--list-full"]).stdout.decode().split()
    # Only the binary and its links: the package's docs and other files are not needed.
    tree = {p: e for p, e in tree.items() if e.kind == "dir" and not p.startswith("usr/share")}
    tree["bin/busybox"] = busybox
    for applet in sorted(set(applets)):
        applet = applet.strip("/")
        if applet in ("bin/busybox", "linuxrc") or applet in tree:
            continue
        ensure_parents(tree, applet)
        tree[applet] = Entry("symlink", 0o777, target=posixpath.relpath("bin/busybox", posixpath.dirname(applet)))
    add_file(tree, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
    add_file(tree, "etc/group", "root:x:0:\nnobody:x:65534:\n")
    for d in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "home", "proc", "sys", "dev", "var", "var/spool", "var/www"]:
        add_dir(tree, d)
    add_dir(tree, "tmp", 0o1777)
    add_dir(tree, "root", 0o700)
    return tree, newest


def build_debian(debs: dict[str, Deb], pkgs: list[str]) -> tuple[Tree, int]:
    tree: Tree = {}
    newest = 0
    for name in pkgs:
        newest = max(newest, add_deb(tree, debs[name], merged=True))
    for top, target in MERGED_USR.items():
        add_dir(tree, target) if target not in tree else None
        tree[top] = Entry("symlink", 0o777, target=target)
    share = "usr/share/base-files/"
    # What base-files' postinst installs when absent.
    for src, dst in [("profile", "etc/profile"), ("dot.profile", "root/.profile"),
                     ("dot.bashrc", "root/.bashrc"), ("nsswitch.conf", "etc/nsswitch.conf")]:
        if share + src in tree:
            add_file(tree, dst, tree[share + src].data)
    for d, mode, gid in [("root", 0o700, 0), ("tmp", 0o1777, 0), ("var/tmp", 0o1777, 0),
                         ("var/local", 0o2775, 50), ("var/mail", 0o2775, 8), ("run", 0o755, 0),
                         ("run/lock", 0o1777, 0), ("proc", 0o555, 0), ("sys", 0o555, 0),
                         ("dev", 0o755, 0), ("home", 0o755, 0), ("mnt", 0o755, 0),
                         ("media", 0o755, 0), ("opt", 0o755, 0), ("srv", 0o755, 0),
                         ("boot", 0o755, 0)]:
        add_dir(tree, d, mode, 0, gid)
    for d in ["etc/opt", "var/opt", "usr/local", "usr/local/share", "usr/local/share/man",
              "usr/local/bin", "usr/local/games", "usr/local/lib", "usr/local/include",
              "usr/local/sbin", "usr/local/src", "usr/local/etc"]:
        add_dir(tree, d)
    add_symlink(tree, "usr/local/man", "share/man")
    add_symlink(tree, "var/spool/mail", "../mail")
    add_symlink(tree, "var/run", "/run")  # base-files' migrate_directory
    add_symlink(tree, "var/lock", "/run/lock")
    if "etc/dpkg/origins/debian" in tree:
        add_symlink(tree, "etc/dpkg/origins/default", "debian")
    if share + "motd" in tree:
        add_file(tree, "etc/motd", tree[share + "motd"].data)
    utmp = 43  # base-passwd's fixed gid of group utmp
    add_file(tree, "var/log/wtmp", b"", 0o664, 0, utmp)
    add_file(tree, "var/log/btmp", b"", 0o660, 0, utmp)
    add_file(tree, "var/log/lastlog", b"", 0o664, 0, utmp)
    # What base-passwd's postinst installs: /etc/passwd and /etc/group from its master files.
    add_file(tree, "etc/passwd", tree["usr/share/base-passwd/passwd.master"].data)
    add_file(tree, "etc/group", tree["usr/share/base-passwd/group.master"].data)
    # What debianutils' postinst (update-shells) makes of its list and of shells.d/.
    shells = tree["usr/share/debianutils/shells"].data.decode().splitlines()
    for path in sorted(p for p in tree if p.startswith("usr/share/debianutils/shells.d/")):
        if tree[path].kind == "file":
            shells += tree[path].data.decode().splitlines()
    for sh in list(shells):
        if sh.startswith("/bin/"):
            shells.append("/usr" + sh)  # update-shells adds the /usr alias on merged /usr
    seen: list[str] = []
    for sh in shells:
        if sh not in seen:
            seen.append(sh)
    add_file(tree, "etc/shells", "\n".join(seen) + "\n")
    if "usr/bin/sh" not in tree:
        add_symlink(tree, "usr/bin/sh", "dash")  # dash's postinst claims /bin/sh
    # update-alternatives as the postinsts call it (man page slaves left out with the man pages)
    add_alternative(tree, "awk", "usr/bin/awk", "usr/bin/mawk", 5, [("nawk", "usr/bin/nawk", "usr/bin/mawk")])
    add_alternative(tree, "which", "usr/bin/which", "usr/bin/which.debianutils", 0, [])
    add_alternative(tree, "rmt", "usr/sbin/rmt", "usr/sbin/rmt-tar", 50, [])
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"]:
        add_dir(tree, d)
    for f in ["var/lib/dpkg/available", "var/lib/dpkg/diversions", "var/lib/dpkg/statoverride"]:
        add_file(tree, f, b"")
    # infodb format 1: lists of Multi-Arch: same packages are named <package>:<arch>.list
    add_file(tree, "var/lib/dpkg/info/format", "1\n")
    add_file(tree, "var/lib/dpkg/status", dpkg_status([debs[n] for n in pkgs]))
    add_dpkg_lists(tree, [debs[n] for n in pkgs])
    return tree, newest


def add_alternative(tree: Tree, name: str, link: str, path: str, priority: int,
                    slaves: list[tuple[str, str, str]]) -> None:
    """The links and the admin file `update-alternatives --install` leaves behind."""
    if path not in tree:
        raise BuildError(f"alternative {name}: {path} is missing")
    for n, lnk, target in [(name, link, path)] + slaves:
        add_symlink(tree, lnk, f"/etc/alternatives/{n}")
        add_symlink(tree, f"etc/alternatives/{n}", "/" + target)
    admin = ["auto", "/" + link] + [x for n, lnk, _ in slaves for x in (n, "/" + lnk)] + [""]
    admin += ["/" + path, str(priority)] + ["/" + t for _, _, t in slaves] + [""]
    add_file(tree, f"var/lib/dpkg/alternatives/{name}", "\n".join(admin) + "\n")



def build_on_debian(base: Tree, debs: dict[str, Deb], all_pkgs: list[str], new_pkgs: list[str]) -> tuple[Tree, int]:
    tree = {p: replace(e) for p, e in base.items()}
    newest = 0
    for name in new_pkgs:
        newest = max(newest, add_deb(tree, debs[name], merged=True))
    add_file(tree, "var/lib/dpkg/status", dpkg_status([debs[n] for n in all_pkgs]))
    add_dpkg_lists(tree, [debs[n] for n in new_pkgs])
    return tree, newest



# ---------------------------------------------------------------------------------------------
# Main build


@dataclass
class Built:
    name: str
    tags: list[str]
    packages: list[str]  # new in this image's own layer
    layers: list[dict] = field(default_factory=list)
    diff_ids: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    uncompressed: int = 0
    compressed: int = 0



def build(out: Path, cache: Path) -> tuple[list[Built], str]:
    pins = read_lock()
    debs = fetch(pins, cache)
    controls = {n: d.control for n, d in debs.items()}
    provider: dict[str, list[str]] = {}
    for n, c in sorted(controls.items()):
        for v in provides_of(c):
            provider.setdefault(v, []).append(n)

    closure: dict[str, list[str]] = {}
    for spec in IMAGES:
        base = set(closure_all(spec.base, closure)) if spec.base else set()
        closure[spec.name] = resolve(spec.roots, base, controls.get, lambda v: provider.get(v, []))
    used = {n for pkgs in closure.values() for n in pkgs} | {INIT_PACKAGE}
    unused = sorted(set(pins) - used)
    if unused:
        raise BuildError(f"packages.lock pins packages no image needs: {unused}; run --update-lock")

    arch = oci_arch()
    layout = Layout(out)
    built: dict[str, Built] = {}
    trees: dict[str, Tree] = {}

    def finish_image(b: Built, tree: Tree, layer: Tree, epoch: int, created_by: str,
                     base: Built | None, config: dict, meta_steps: list[str]) -> None:
        complete_parents(layer)
        raw = layer_tar(layer, epoch, tree)
        gz = gzip_bytes(raw)
        desc = layout.blob(gz, OCI_LAYER)
        created = iso(epoch)
        b.layers = (base.layers if base else []) + [desc]
        b.diff_ids = (base.diff_ids if base else []) + [sha256(raw)]
        b.uncompressed = (base.uncompressed if base else 0) + len(raw)
        b.compressed = (base.compressed if base else 0) + len(gz)
        b.history = (base.history if base else []) + [{"created": created, "created_by": created_by}] + [
            {"created": created, "created_by": f"/bin/sh -c #(nop)  {step}", "empty_layer": True}
            for step in meta_steps]
        cfg = {
            "created": created,
            "architecture": arch,
            "os": "linux",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": b.diff_ids},
            "history": b.history,
        }
        cdesc = layout.json_blob(cfg, OCI_CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cdesc, "layers": b.layers}
        mdesc = layout.json_blob(manifest, OCI_MANIFEST)
        for t in b.tags:
            layout.tag(mdesc, f"{b.name}:{t}")

    # busybox
    bb_ver = upstream(debs["busybox-static"].version)
    b = Built("busybox", ["latest", bb_ver, ".".join(bb_ver.split(".")[:2])], closure["busybox"])
    tree, epoch = build_busybox(debs)
    finish_image(b, tree, tree, epoch,
                 f"/bin/sh -c #(nop) ADD debian package busybox-static {debs['busybox-static'].version}: "
                 "/bin/busybox, applet links, /etc/passwd, /etc/group in /",
                 None, {"Env": [PATH_ENV], "Cmd": ["sh"]}, ['CMD ["sh"]'])
    built["busybox"] = b

    # debian
    tree, epoch = build_debian(debs, closure["debian"])
    debian_version = tree["etc/debian_version"].data.decode().strip()
    b = Built("debian", ["latest", "12", "bookworm", debian_version], closure["debian"])
    finish_image(b, tree, tree, epoch,
                 "/bin/sh -c #(nop) ADD debian packages: " + " ".join(sorted(closure["debian"])) + " in / ",
                 None, {"Env": [PATH_ENV], "Cmd": ["bash"]}, ['CMD ["bash"]'])
    built["debian"], trees["debian"] = b, tree

    # redis and nginx, each one layer on top of debian's
    for name, customize, main_pkg, setup, config, steps in [
        ("redis", customize_redis, "redis-server", "redis user, /data",
         {"Env": [PATH_ENV], "Cmd": ["redis-server", "--protected-mode", "no"],
          "WorkingDir": "/data", "ExposedPorts": {"6379/tcp": {}}},
         ["WORKDIR /data", "EXPOSE 6379/tcp", 'CMD ["redis-server" "--protected-mode" "no"]']),
        ("nginx", customize_nginx, "nginx", "welcome page, site config, logs to stdout/stderr",
         {"Env": [PATH_ENV], "Cmd": ["nginx", "-g", "daemon off;"],
          "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGQUIT"},
         ["EXPOSE 80/tcp", "STOPSIGNAL SIGQUIT", 'CMD ["nginx" "-g" "daemon off;"]']),
    ]:
        base_tree = trees["debian"]
        full, epoch = build_on_debian(base_tree, debs, closure_all(name, closure), closure[name])
        customize(full)
        layer = diff(base_tree, full)
        ver = upstream(debs[main_pkg].version)
        b = Built(name, ["latest", ver, ".".join(ver.split(".")[:2])], closure[name])
        finish_image(b, full, layer, max(epoch, epoch_of(built["debian"])),
                     f"/bin/sh -c #(nop) ADD debian packages: {' '.join(sorted(closure[name]))} "
                     f"+ {setup} in / ",
                     built["debian"], config, steps)
        built[name] = b

    # registry: the Debian package's binary under upstream's config, entrypoint and tags
    base_tree = trees["debian"]
    full, epoch = build_on_debian(base_tree, debs, closure_all("registry", closure), closure["registry"])
    customize_registry(full)
    ver = upstream(debs["docker-registry"].version).split("+", 1)[0]
    b = Built("registry", ["latest", "2", ver, ".".join(ver.split(".")[:2])], closure["registry"])
    finish_image(b, full, diff(base_tree, full), max(epoch, epoch_of(built["debian"])),
                 "/bin/sh -c #(nop) ADD debian packages: docker-registry + config.yml, "
                 "/entrypoint.sh, /usr/bin/registry in / ",
                 built["debian"],
                 {"Env": [PATH_ENV], "Entrypoint": ["/entrypoint.sh"],
                  "Cmd": ["/etc/docker/registry/config.yml"], "ExposedPorts": {"5000/tcp": {}},
                  "Volumes": {"/var/lib/registry": {}}},
                 ["VOLUME [/var/lib/registry]", "EXPOSE 5000/tcp", 'ENTRYPOINT ["/entrypoint.sh"]',
                  'CMD ["/etc/docker/registry/config.yml"]'])
    built["registry"] = b

    add_init(out, debs[INIT_PACKAGE])
    layout.finish()
    return list(built.values()), readme_text(built, debs)


def add_init(out: Path, deb: Deb) -> None:
    """The init binary, byte for byte as the package ships it, mode 0755."""
    members, _ = deb_members(deb)
    data = [d for m, d in members if clean(m.name) == INIT_MEMBER and m.isreg()]
    if len(data) != 1:
        raise BuildError(f"{deb.path}: no {INIT_MEMBER}")
    path = out / INIT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[0])
    path.chmod(0o755)


def epoch_of(b: Built) -> int:
    created = b.history[-1]["created"]
    return int(datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


# ---------------------------------------------------------------------------------------------
# README (package tables)

# Copyright files that are free-form text rather than machine-readable (DEP-5), read by hand
# and keyed by source package. The build fails if one of these packages appears without an
# entry here, so a new free-form file cannot slip in with a guessed licence.
FREEFORM_LICENCES = {
    "base-files": "GPL-2+",
    "busybox": "GPL-2",
    "gcc-12": "GPL-3+ with GCC Runtime Library Exception",
    "glibc": "LGPL-2.1+, GPL-2+ (some programs)",
    "libgcrypt20": "LGPL-2.1+ (library), GPL-2+ (tools)",
    "libselinux": "public-domain",
    "libxcrypt": "LGPL-2.1+, and others for some files",
}


def copyright_text(deb: Deb) -> str | None:
    members, _ = deb_members(deb)
    for m, data in members:
        if clean(m.name) == f"usr/share/doc/{deb.name}/copyright" and m.isreg():
            return data.decode("utf-8", "replace")
    return None


def licences(deb: Deb, debs: dict[str, Deb]) -> str:
    src = source_of(deb)[0]
    text = copyright_text(deb)
    if text is None:
        # usr/share/doc/<package> is a link to a sibling's (same source) documentation
        for other in sorted(debs.values(), key=lambda d: d.name):
            if other is not deb and source_of(other)[0] == src:
                text = copyright_text(other)
                if text is not None:
                    break
    if text is None:
        raise BuildError(f"{deb.name}: no copyright file found")
    if not text.startswith("Format:"):
        if src not in FREEFORM_LICENCES:
            raise BuildError(f"{deb.name}: free-form copyright file; add {src} to FREEFORM_LICENCES")
        return FREEFORM_LICENCES[src]
    found: list[str] = []
    for line in text.splitlines():
        if line.startswith("License:"):
            name = line.split(":", 1)[1].strip()
            if name and name not in found:
                found.append(name)
    if not found:
        raise BuildError(f"{deb.name}: machine-readable copyright file without License fields")
    return ", ".join(found)


def source_of(deb: Deb) -> tuple[str, str]:
    src = deb.control.get("Source", deb.name)
    m = re.match(r"(\S+)\s*\((.+)\)", src)
    if m:
        return m.group(1), m.group(2)
    return src, deb.version


def source_url(deb: Deb) -> str:
    src, ver = source_of(deb)
    pool = deb.uri.rsplit("/", 1)[0].replace("http://", "https://")
    return f"{pool}/{src}_{ver.split(':', 1)[-1]}.dsc"


def readme_text(built: dict[str, Built], debs: dict[str, Deb]) -> str:
    """README.md with its generated package tables brought up to date."""
    text = README.read_text() if README.exists() else ""
    start, end = "<!-- packages:begin -->", "<!-- packages:end -->"
    rows = ["| image | tags | layers | uncompressed | compressed (gzip) |", "| --- | --- | --- | --- | --- |"]
    for b in built.values():
        rows.append(f"| {b.name} | {', '.join(b.tags)} | {len(b.layers)} | {b.uncompressed / 1e6:.1f} MB"
                    f" | {b.compressed / 1e6:.1f} MB |")
    shared = {d["digest"]: d["size"] for b in built.values() for d in b.layers}
    rows.append(f"\nAll layers together, each stored once: {sum(shared.values()) / 1e6:.1f} MB.\n")
    for b in built.values():
        base = SPEC[b.name].base
        rows.append(f"### {b.name} ({', '.join(b.name + ':' + t for t in b.tags)})\n")
        if base:
            rows.append(f"On top of the `{base}` layer (same blob), plus these packages:\n")
        rows.append("| package | version | licence | source |")
        rows.append("| --- | --- | --- | --- |")
        for n in sorted(b.packages):
            d = debs[n]
            src, ver = source_of(d)
            rows.append(f"| {n} | {d.version} | {licences(d, debs)} | [{src} {ver}]({source_url(d)}) |")
        rows.append("")
    block = start + "\n" + "\n".join(rows) + end
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text + "\n" + block + "\n"
    return text


# ---------------------------------------------------------------------------------------------


def compare(built: Path, committed: Path) -> list[str]:
    problems = []

    def files(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}

    a, b = files(built), files(committed)
    for name in sorted(set(a) | set(b)):
        if name not in b:
            problems.append(f"{name}: built but not in {committed}")
        elif name not in a:
            problems.append(f"{name}: in {committed} but not built")
        elif a[name] != b[name]:
            problems.append(f"{name}: built sha256 {a[name]} != committed {b[name]}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--update-lock", action="store_true", help="pin apt's current candidates")
    ap.add_argument("--verify", action="store_true", help="rebuild in a temp dir, compare with --layout")
    ap.add_argument("--layout", type=Path, default=HERE / "layout")
    ap.add_argument("--cache", type=Path, required=True)
    args = ap.parse_args()
    try:
        if args.update_lock:
            update_lock()
            return 0
        with tempfile.TemporaryDirectory(prefix="gorae-images-") as tmp:
            out = Path(tmp) / "layout"
            images, readme = build(out, args.cache)
            if args.verify:
                problems = compare(out, args.layout)
                if README.read_text() != readme:
                    problems.append(f"{README}: package tables differ from a fresh build's")
                if problems:
                    print(f"verify: rebuilt layout differs from {args.layout}:", file=sys.stderr)
                    for p in problems:
                        print("  " + p, file=sys.stderr)
                    return 1
                blobs = len(list((out / "blobs" / "sha256").iterdir()))
                print(f"verify: {args.layout} matches a fresh build ({blobs} blobs, index.json, README tables)")
            else:
                if args.layout.exists():
                    shutil.rmtree(args.layout)
                shutil.copytree(out, args.layout)
                README.write_text(readme)
            for b in images:
                print(f"{b.name:8} {len(b.layers)} layer(s)  uncompressed {b.uncompressed / 1e6:6.1f} MB"
                      f"  compressed {b.compressed / 1e6:5.1f} MB  tags {', '.join(b.tags)}")
        return 0
    except BuildError as e:
        print(f"build.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
