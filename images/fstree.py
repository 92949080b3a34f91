"""File trees for the image build: entries, merged-/usr aware placement, layer diffs, and the
small edits maintainer scripts would have made (users). Used by build.py and customize.py."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass


class BuildError(Exception):
    pass


MERGED_USR = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}


@dataclass
class Entry:
    kind: str  # "dir" | "file" | "symlink"
    mode: int
    uid: int = 0
    gid: int = 0
    data: bytes = b""
    target: str = ""  # symlink target
    ino: str | None = None  # files sharing an ino are hard links of each other

    def same(self, other: "Entry") -> bool:
        return (self.kind, self.mode, self.uid, self.gid, self.data, self.target) == (
            other.kind, other.mode, other.uid, other.gid, other.data, other.target)


Tree = dict[str, Entry]


def usr_path(path: str) -> str:
    top, sep, rest = path.partition("/")
    if top in MERGED_USR:
        return MERGED_USR[top] + (sep + rest if rest else "")
    return path


def put(tree: Tree, path: str, entry: Entry, who: str) -> None:
    old = tree.get(path)
    if old is None or old.same(entry):
        tree[path] = entry if old is None else old
        return
    if old.kind == "dir" and entry.kind == "dir":
        return  # the first package to ship a directory sets its mode
    if entry.kind == "symlink" and old.kind != "symlink":
        # merged /usr: a package linking /bin/x to /usr/bin/x (or the reverse) keeps the file
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), entry.target))
        if usr_path(resolved.lstrip("/")) == path:
            return
    if old.kind == "symlink" and entry.kind != "symlink":
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), old.target))
        if usr_path(resolved.lstrip("/")) == path:
            tree[path] = entry
            return
    raise BuildError(f"{who}: {path} conflicts with a file another package ships")


def add_file(tree: Tree, path: str, data: bytes | str, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
    if isinstance(data, str):
        data = data.encode()
    ensure_parents(tree, path)
    tree[path] = Entry("file", mode, uid, gid, data=data)


def add_dir(tree: Tree, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
    ensure_parents(tree, path)
    tree[path] = Entry("dir", mode, uid, gid)


def add_symlink(tree: Tree, path: str, target: str) -> None:
    ensure_parents(tree, path)
    tree[path] = Entry("symlink", 0o777, target=target)


def ensure_parents(tree: Tree, path: str) -> None:
    parent = posixpath.dirname(path)
    while parent:
        if parent not in tree:
            tree[parent] = Entry("dir", 0o755)
        elif tree[parent].kind != "dir":
            raise BuildError(f"{path}: parent {parent} is not a directory")
        parent = posixpath.dirname(parent)


def complete_parents(tree: Tree) -> None:
    for path in list(tree):
        ensure_parents(tree, path)


def diff(base: Tree, full: Tree) -> Tree:
    """What a layer on top of `base` must hold to give `full` (with the parents of each)."""
    gone = [p for p in base if p not in full]
    if gone:
        raise BuildError(f"upper layers never delete, but would remove {gone[:5]}")
    layer: Tree = {}
    for path, entry in full.items():
        old = base.get(path)
        if old is None or not old.same(entry):
            layer[path] = entry
    for path in list(layer):
        parent = posixpath.dirname(path)
        while parent and parent not in layer:
            layer[parent] = full[parent]
            parent = posixpath.dirname(parent)
    return layer


def passwd_line_for(tree: Tree, user: str) -> bool:
    return any(line.split(":")[0] == user for line in tree["etc/passwd"].data.decode().splitlines())


def add_user(tree: Tree, name: str, uid: int, home: str, gecos: str) -> None:
    """What `adduser --system --group` in a maintainer script leaves behind."""
    if passwd_line_for(tree, name):
        return
    passwd = tree["etc/passwd"].data.decode() + f"{name}:x:{uid}:{uid}:{gecos}:{home}:/usr/sbin/nologin\n"
    group = tree["etc/group"].data.decode() + f"{name}:x:{uid}:\n"
    add_file(tree, "etc/passwd", passwd)
    add_file(tree, "etc/group", group)
