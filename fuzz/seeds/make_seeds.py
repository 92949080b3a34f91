#!/usr/bin/env python3
"""Write the starting corpora into fuzz/corpus/<target>/ from the repository's real inputs
(lessons, bundled image JSON, the Dockerfiles in the tests) plus small hand-made tars.
Run from the repository root: python3 fuzz/seeds/make_seeds.py"""
import hashlib
import io
import json
import os
import re
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def rust_strings(path):
    """String literals (plain and r#"…"#) holding a FROM line, unescaped."""
    src = path.read_text()
    out = []
    for m in re.finditer(r'r#"(.*?)"#', src, re.S):
        out.append(m.group(1))
    for m in re.finditer(r'(?<![r#])"((?:[^"\\]|\\.)*)"', src):
        s = m.group(1)
        try:
            s = bytes(s, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        out.append(s)
    return out


def dockerfiles():
    for f in [ROOT / "tests/build.rs", ROOT / "src/engine/build.rs"]:
        for s in rust_strings(f):
            if "FROM" in s or s.startswith("# escape"):
                put("dockerfile", s)
    # Dockerfiles written inside lessons (here-documents).
    for md in (ROOT / "lessons").glob("*/*.md"):
        for m in re.finditer(r"cat > Dockerfile <<'EOF'\n(.*?)\nEOF", md.read_text(), re.S):
            put("dockerfile", m.group(1) + "\n")
    for s in [
        "# escape=`\nFROM busybox\nRUN echo a `\n  b\n",
        "FROM busybox\nCOPY --from=build --chown=1:1 [\"a b\", \"/c/\"]\n",
        "ARG V=1\nFROM busybox:${V:-latest} AS base\nENV A=${V:+set} B='$V' C=\"x\\\"y\"\n",
        "FROM busybox\nSHELL [\"/bin/sh\", \"-c\"]\nVOLUME [\"/data\"]\nSTOPSIGNAL SIGTERM\n",
        "node_modules\n**/*.log\n!keep.log\n# comment\n./build/\n",
    ]:
        put("dockerfile", s)


def lessons():
    for md in sorted((ROOT / "lessons").glob("*/*.md")):
        if re.match(r"\d\d-", md.name):
            put("lesson", md.read_bytes())
            put("markdown", bytes([60]) + md.read_bytes())
    for s in rust_strings(ROOT / "src/course/lesson.rs"):
        if s.startswith("+++"):
            put("lesson", s)
    put("markdown", bytes([10]) + "| a | 표 |\n|---|:-:|\n| 긴 한국어 문장 | `code` |\n".encode())
    put("markdown", bytes([1]) + "> 인용\n> - 목록\n>   1. 번호\n\n```sh\ndocker run --rm -it busybox sh\n```\n".encode())


def cli():
    cmds = [
        "run -d --name web -p 8080:80 -e A=1 nginx",
        "run --rm -it busybox sh -c echo hi",
        "ps -a -n 3 --no-trunc",
        "images -a -q busybox",
        "build -t app:1 -f Dockerfile.dev --build-arg V=2 --no-cache .",
        "logs -f --tail 10 -t web",
        "exec -it -w /app -e X=1 web ls -l",
        "stop -t 3 web db",
        "commit -m msg -a me -c CMD web app:2",
        "inspect -f {{.State.Status}} --type container web",
        "events --since 1h --filter type=container --format {{json .}}",
        "history -H=false --no-trunc busybox",
        "top web aux",
        "port web 80/tcp",
        "tag busybox mine:1",
        "rmi -f a b",
        "--lang en --lesson 3 --step 2",
        "--help",
        "run --help",
    ]
    for c in cmds:
        put("cli", "\0".join(c.split(" ")))


def image_json():
    blobs = ROOT / "images/layout/blobs/sha256"
    put("image_json", (ROOT / "images/layout/index.json").read_bytes())
    for b in sorted(blobs.iterdir()):
        data = b.read_bytes()
        if len(data) < 16384 and data[:1] == b"{":
            put("image_json", data)
    for s in ["busybox", "busybox:1.36", "docker.io/library/debian:12", "localhost:5000/a/b:c",
              "ghcr.io/x/y", "Bad:Tag", "a@sha256:00"]:
        put("image_json", s)


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def ti(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 1700000000
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        return info, data
    info.linkname = link
    return info, None


def tars():
    D, S, H, F = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE
    cases = [
        [ti("./", D, mode=0o755), ti("etc/", D, mode=0o755), ti("etc/hostname", data=b"box\n")],
        [ti("bin", S, link="usr/bin"), ti("usr/bin/", D), ti("usr/bin/sh", data=b"#!")],
        [ti("a", data=b"x"), ti("b", H, link="a"), ti("c", S, link="/etc/passwd")],
        [ti("d/", D), ti("d/.wh.gone"), ti("d/.wh..wh..opq"), ti("e/f", data=b"1")],
        [ti("p", F), ti("x/", D, mode=0), ti("x/y", data=b"z")],
        [ti("../escape", data=b"!")],
        [ti("link", S, link=".."), ti("link/escape", data=b"!")],
        [ti("/abs", data=b"!")],
        [ti("f", data=b"file"), ti("f/g", data=b"dir now")],
        [ti("l", S, link="/tmp"), ti("l", data=b"replaced")],
        [ti("long/" + "n" * 150 + "/file", data=b"gnu longname")],
    ]
    for c in cases:
        put("tar_unpack", tar_bytes(c))
    # PAX headers, and a truncated archive.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("pax/" + "é" * 60)
        info.size = 3
        info.pax_headers = {"mtime": "1.5", "uid": "1000"}
        t.addfile(info, io.BytesIO(b"abc"))
    put("tar_unpack", buf.getvalue())
    put("tar_unpack", tar_bytes(cases[0])[:700])


def docker_saves():
    """Tiny `docker save` tarballs (legacy manifest.json and OCI index.json layouts) whose
    digests check out, so the fuzzer starts past the digest checks."""
    import gzip
    sha = lambda b: hashlib.sha256(b).hexdigest()
    layer = tar_bytes([ti("hello.txt", data=b"hi\n"), ti("bin", tarfile.SYMTYPE, link="usr/bin")])
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["cat", "/hello.txt"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]},
                         "history": [{"created_by": "COPY hello.txt /"}]}).encode()
    legacy = json.dumps([{"Config": sha(config) + ".json", "RepoTags": ["hello:1"],
                          "Layers": ["abc/layer.tar"]}]).encode()
    members = [ti(sha(config) + ".json", data=config), ti("abc/", tarfile.DIRTYPE),
               ti("abc/layer.tar", data=layer), ti("manifest.json", data=legacy)]
    put("docker_load", tar_bytes(members))
    put("docker_load", gzip.compress(tar_bytes(members), mtime=0))
    # The layer through a symlink, as newer Dockers write it.
    linked = [ti("blobs/sha256/" + sha(layer), data=layer), ti("abc/", tarfile.DIRTYPE),
              ti("abc/layer.tar", tarfile.SYMTYPE, link="../blobs/sha256/" + sha(layer)),
              ti(sha(config) + ".json", data=config), ti("manifest.json", data=legacy)]
    put("docker_load", tar_bytes(linked))
    # OCI layout: index.json -> manifest -> config + layer.
    gz_layer = gzip.compress(layer, mtime=0)
    config2 = config.replace(sha(layer).encode(), sha(layer).encode())
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(config2), "size": len(config2)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": "sha256:" + sha(gz_layer), "size": len(gz_layer)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "sha256:" + sha(manifest), "size": len(manifest),
         "annotations": {"io.containerd.image.name": "docker.io/library/hello:2",
                         "org.opencontainers.image.ref.name": "2"}}]}).encode()
    oci = [ti("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'), ti("index.json", data=index),
           ti("blobs/sha256/" + sha(manifest), data=manifest),
           ti("blobs/sha256/" + sha(config2), data=config2),
           ti("blobs/sha256/" + sha(gz_layer), data=gz_layer)]
    put("docker_load", tar_bytes(oci))
    put("docker_load", tar_bytes([ti("manifest.json", data=b"[]")]))


if __name__ == "__main__":
    dockerfiles()
    lessons()
    cli()
    image_json()
    tars()
    docker_saves()
    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(d.name, len(files), sum(f.stat().st_size for f in files))
