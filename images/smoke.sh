#!/usr/bin/env bash
# Runs each bundled image for real: unpacks its layers into a throwaway root and starts its
# main program there in private mount, pid and network namespaces (loopback only).
#
#   sudo images/smoke.sh [layout-dir]
#
# Needs root (unshare, mounts, chroot), python3 and GNU tar. Prints one line per check and
# exits non-zero on the first failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
layout="${1:-$here/layout}"
[ "$(id -u)" = 0 ] || { echo "smoke.sh: needs root (unshare, mounts, chroot)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# extract <ref> <dir>: applies the image's layers in order.
extract() {
  local ref=$1 dir=$2 layer
  mkdir -p "$dir"
  for layer in $(python3 - "$layout" "$ref" <<'EOF'
import json, sys
layout, ref = sys.argv[1], sys.argv[2]
index = json.load(open(f"{layout}/index.json"))
desc = [m for m in index["manifests"]
        if m["annotations"]["org.opencontainers.image.ref.name"] == ref]
if not desc:
    sys.exit(f"smoke.sh: {ref} is not in {layout}/index.json")
manifest = json.load(open(f"{layout}/blobs/sha256/{desc[0]['digest'][7:]}"))
print(" ".join(l["digest"][7:] for l in manifest["layers"]))
EOF
  ); do
    tar --numeric-owner -xpzf "$layout/blobs/sha256/$layer" -C "$dir"
  done
}

# in_container <dir> <script>: runs <script> (bash) in new namespaces; $ROOT is the image root,
# with /dev and /proc mounted and loopback up. Commands reach the image through `chroot $ROOT`.
in_container() {
  local dir=$1 script=$2
  ROOT="$dir" unshare --mount --pid --net --fork --mount-proc bash -euo pipefail -c '
    python3 -c "
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s, 0x8914, struct.pack(\"16sH14s\", b\"lo\", 0x1 | 0x40, b\"\"))  # SIOCSIFFLAGS up
"
    mount --rbind /dev "$ROOT/dev"
    mount -t proc proc "$ROOT/proc"
    '"$script"
}

pass() { echo "ok   $*"; }

extract busybox:latest "$work/busybox"
out=$(in_container "$work/busybox" 'chroot "$ROOT" /bin/sh -c "echo hello | sed s/hello/busybox-ok/; ls /bin | wc -l"')
grep -q busybox-ok <<<"$out" || { echo "FAIL busybox: sh/sed did not run: $out"; exit 1; }
pass "busybox: sh runs applets ($(tail -1 <<<"$out") in /bin)"

extract debian:latest "$work/debian"
out=$(in_container "$work/debian" 'chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "cat /etc/issue; dpkg -l bash | tail -1; awk \"BEGIN { print 6 * 7 }\"; command -v ps || echo no-ps"')
grep -q "Debian GNU/Linux 12" <<<"$out" || { echo "FAIL debian: /etc/issue: $out"; exit 1; }
grep -q "^ii  bash" <<<"$out" || { echo "FAIL debian: dpkg -l: $out"; exit 1; }
grep -qx 42 <<<"$out" || { echo "FAIL debian: awk: $out"; exit 1; }
# Docker Hub's debian:12 has no procps; neither has this one (build.py's DEBIAN_ROOTS).
grep -qx no-ps <<<"$out" || { echo "FAIL debian: ps is there, Docker Hub's has none: $out"; exit 1; }
pass "debian: bash, dpkg -l, awk work; no ps, as on Docker Hub"

extract redis:latest "$work/redis"
out=$(in_container "$work/redis" '
  chroot "$ROOT" sh -c "cd /data && exec redis-server --protected-mode no" >"$ROOT/tmp/redis.log" 2>&1 &
  for _ in $(seq 50); do
    if chroot "$ROOT" redis-cli ping 2>/dev/null | grep -q PONG; then break; fi
    sleep 0.1
  done
  chroot "$ROOT" redis-cli ping
  chroot "$ROOT" redis-cli shutdown nosave >/dev/null 2>&1 || true
  wait')
grep -q PONG <<<"$out" || { echo "FAIL redis: no PONG: $out"; cat "$work/redis/tmp/redis.log"; exit 1; }
pass "redis: redis-cli ping answers PONG"

extract nginx:latest "$work/nginx"
out=$(in_container "$work/nginx" '
  chroot "$ROOT" nginx -g "daemon off;" >"$ROOT/tmp/nginx.out" 2>"$ROOT/tmp/nginx.err" &
  python3 -c "
import sys, time, urllib.request
for _ in range(50):
    try:
        page = urllib.request.urlopen(\"http://127.0.0.1/\", timeout=2).read().decode()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(\"nginx did not answer\")
print(page)
"
  kill -QUIT "$(cat "$ROOT/run/nginx.pid")"
  wait')
grep -q "고래에 오신 것을 환영합니다" <<<"$out" || { echo "FAIL nginx: page: $out"; cat "$work/nginx/tmp/nginx.err"; exit 1; }
grep -q '"GET / HTTP/1.1" 200' "$work/nginx/tmp/nginx.out" || { echo "FAIL nginx: no access log on stdout"; exit 1; }
pass "nginx: serves the Korean welcome page, access log on stdout"

extract registry:2 "$work/registry"
out=$(in_container "$work/registry" '
  chroot "$ROOT" /entrypoint.sh /etc/docker/registry/config.yml >"$ROOT/tmp/registry.log" 2>&1 &
  python3 -c "
import sys, time, urllib.request
for _ in range(100):
    try:
        r = urllib.request.urlopen(\"http://127.0.0.1:5000/v2/\", timeout=2)
        print(r.status, r.headers.get(\"Docker-Distribution-Api-Version\"))
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(\"the registry did not answer\")
"
  kill %1
  wait || true')
grep -q "200 registry/2.0" <<<"$out" || { echo "FAIL registry: /v2/: $out"; cat "$work/registry/tmp/registry.log"; exit 1; }
pass "registry: /entrypoint.sh serves the distribution API on :5000"
