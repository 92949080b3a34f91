#!/usr/bin/env bash
# CI's package test: builds the .deb, installs it with apt (so its Recommends come along), runs
# containers through the installed /usr/bin/gorae as the unprivileged users `learner` (subuid
# ranges) and `plain` (one id), checks it finds its lessons and images in /usr/share/gorae, and
# removes the package again, leaving nothing behind.
#   packaging/test-install.sh [BINARY]   (default: target/debug/gorae, which `cargo test` built)
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "skipped: package install test: $*"; [ -z "${GORAE_TESTS_NO_SKIP:-}" ] && exit 0; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root to install a package"
command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null || skip "not a Debian system"
if [ "$(dpkg-query -W -f='${db:Status-Status}' gorae 2>/dev/null)" = installed ]; then skip "a gorae package is already installed here"; fi

binary=${1:-target/debug/gorae}
[ -x "$binary" ] || { echo "package test: $binary is missing (run cargo test first)" >&2; exit 1; }
deb=$(GORAE_PKG_BINARY="$binary" packaging/package.sh deb)
fail() { echo "package test FAILED: $*" >&2; exit 1; }

cleanup() { apt-get purge -o DPkg::Lock::Timeout=120 -y -qq gorae >/dev/null 2>&1 || true; }
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=120 -y -qq "./$deb" >/dev/null
[ -x /usr/bin/gorae ] || fail "/usr/bin/gorae was not installed"

# The binary falls back to the lessons and images of the source tree it was built in
# (target/debug/gorae → the tree two levels up): hide them in a mount namespace of its own, so
# only /usr/share/gorae can serve them.
tree=$(cd "$(dirname "$binary")/../.." && pwd)
[ -d "$tree/lessons" ] && [ -d "$tree/images" ] || fail "$binary is not inside a source tree's target/"
as_user() { # user, command
  unshare --mount --propagation private sh -c \
    'mount -t tmpfs none "$1/images" && mount -t tmpfs none "$1/lessons" && su - "$2" -c "$3"' \
    sh "$tree" "$1" "$2"
}
for user in learner plain; do
  out=$(as_user "$user" 'cd / && export GORAE_ROOT=$(mktemp -d) &&
      gorae docker run --rm busybox echo "hello from the package" &&
      gorae docker images --format "{{.Repository}}:{{.Tag}}" && gorae lesson check' 2>&1) \
    || fail "a container as $user: $out"
  grep -qx "hello from the package" <<<"$out" || fail "no output from the container as $user: $out"
  grep -qx "busybox:latest" <<<"$out" || fail "busybox was not pulled from the installed images as $user: $out"
  grep -q "lesson files checked, no problems" <<<"$out" || fail "the installed lessons as $user: $out"
done
gorae doctor >/dev/null || fail "gorae doctor reports that containers cannot start"

apt-get purge -o DPkg::Lock::Timeout=120 -y -qq gorae >/dev/null
trap - EXIT
[ ! -e /usr/bin/gorae ] || fail "/usr/bin/gorae is still there after removal"
[ ! -e /usr/share/gorae ] || fail "/usr/share/gorae is still there after removal"
[ ! -e /etc/apparmor.d/gorae ] || fail "the AppArmor profile is still there after removal"
echo "package test: $deb installed, ran busybox as learner and plain, removed"
