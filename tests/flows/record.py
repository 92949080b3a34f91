#!/usr/bin/env python3
"""Re-record flows against a real Docker engine (see README.md beside this file).

    DOCKER_HOST=unix:///run/docker-ref.sock tests/flows/record.py [FLOW.flow ...]

Each `$ COMMAND` runs as `sh -c COMMAND` in a fresh directory per flow, with the real `docker`
first on PATH. Its stdout (`| `), stderr (`! `) and exit code (`? `) replace the block below it,
unless the block carries a `= REASON` line: then it was corrected by hand and is kept. Before each
flow the engine is emptied of containers, volumes, networks and every image but the bundled ones.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = ["busybox:latest", "busybox:1.35", "debian:latest", "debian:12",
           "nginx:latest", "redis:latest", "registry:2"]
TIMEOUT = 60


def sh(cmd, cwd=None):
    return subprocess.run(["sh", "-c", cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def reset_engine():
    sh("docker rm -f $(docker ps -aq) 2>/dev/null; docker volume prune -af >/dev/null 2>&1;"
       "docker network prune -f >/dev/null 2>&1")
    keep = set(BUNDLED)
    out = sh("docker images --format '{{.Repository}}:{{.Tag}}'").stdout.split()
    extra = [r for r in out if r not in keep]
    if extra:
        sh("docker rmi -f " + " ".join(extra))
    sh("docker image prune -f >/dev/null")
    have = set(sh("docker images --format '{{.Repository}}:{{.Tag}}'").stdout.split())
    missing = keep - have
    if missing:
        sys.exit(f"the engine lacks bundled images {sorted(missing)}: "
                 "`gorae docker save … | docker load` them first (README.md)")


def parse(path):
    """Blocks: (header lines before the first command, [(command lines, body lines)])."""
    head, blocks = [], []
    for line in open(path, encoding="utf-8").read().splitlines():
        if line.startswith("$ "):
            blocks.append(([line], []))
        elif not blocks:
            head.append(line)
        elif line.startswith(("~ ", "= ", "% ")) and not blocks[-1][1]:
            blocks[-1][0].append(line)
        else:
            blocks[-1][1].append(line)
    return head, blocks


def record(path):
    head, blocks = parse(path)
    reset_engine()
    out = list(head)
    with tempfile.TemporaryDirectory(prefix="flow-") as cwd:
        for cmd_lines, body in blocks:
            cmd = cmd_lines[0][2:]
            r = sh(cmd, cwd)
            out += cmd_lines
            if any(l.startswith("= ") for l in cmd_lines):
                out += body
                continue
            out += [("| " + l) if l else "|" for l in r.stdout.splitlines()]
            out += [("! " + l) if l else "!" for l in r.stderr.splitlines()]
            out.append(f"? {r.returncode}")
            # Comments between blocks stay where they were.
            out += [l for l in body if not l.startswith(("| ", "! ", "? ")) and l != "|"
                    and l != "!"]
    reset_engine()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip("\n") + "\n")
    print(f"recorded {os.path.basename(path)}: {len(blocks)} commands")


def main():
    if "DOCKER_HOST" not in os.environ:
        sys.exit("set DOCKER_HOST to the reference engine's socket (README.md)")
    paths = sys.argv[1:] or sorted(
        os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".flow"))
    for p in paths:
        record(p)


if __name__ == "__main__":
    main()
