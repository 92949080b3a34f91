#!/usr/bin/env bash
# Builds what a workshop box needs without a Rust toolchain:
#   dist/gorae_<version>_<arch>.deb                 the binary, lessons, bundled images, AppArmor profile
#   dist/gorae-<version>-<arch>-linux-static.tar.gz a static binary with the same files, for other distributions
#
#   packaging/package.sh [deb] [static]       (both when no argument is given)
#   GORAE_PKG_BINARY=target/debug/gorae packaging/package.sh deb
#       packages an already-built binary instead of building a release one (CI's install test
#       does this to reuse the test build; the files installed are the same).
#
# The .deb is made with dpkg-deb from a staged tree rather than cargo-deb: the package is a few
# files and two maintainer scripts, and dpkg-deb is on every Debian machine, so CI and a
# workshop box need no extra tool. Output is reproducible for a given commit: file times come
# from SOURCE_DATE_EPOCH (the commit's time by default) and owners are root.
#
# Both carry the same binary, which links glibc statically (-C target-feature=+crt-static) at a
# fixed address (-C relocation-model=static, as build.rs links every build). The .deb does too
# because such a binary starts without the dynamic loader (binding ~220 symbols, mapping three
# libraries) and without relocating itself, and every `docker run` starts it twice (the CLI and
# the container's monitor): 0.53 ms of CPU and 44 page faults per start of the binary, against
# 0.70 ms dynamic at a fixed address and 1.53 ms position-independent (perf stat, 200 starts). Not musl: the musl target's standard library cannot be fetched here
# (rustup reaches no server; Debian ships no musl rust-std). gorae resolves no host names through
# NSS (registries are addressed as given, and `localhost` is resolved by the registry client
# itself), so the usual caveat of a static glibc does not bite; `gorae doctor` runs the same on
# any distribution.
set -euo pipefail
cd "$(dirname "$0")/.."

want_deb=0 want_static=0
[ $# -eq 0 ] && want_deb=1 want_static=1
for a in "$@"; do
  case "$a" in
    deb) want_deb=1 ;;
    static) want_static=1 ;;
    *) echo "usage: packaging/package.sh [deb] [static]" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
host=$(uname -m)
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH
dist=dist
mkdir -p "$dist"

# Lays out prefix/{bin/gorae, share/gorae/{lessons,images/layout,apparmor}, share/doc/gorae}:
# the binary finds its lessons and images at ../share/gorae beside itself.
stage() {
  local binary=$1 prefix=$2
  # Stripped: debug info is for developers, not for a workshop box.
  install -D -s -m 0755 "$binary" "$prefix/bin/gorae"
  mkdir -p "$prefix/share/gorae/images" "$prefix/share/doc/gorae"
  cp -r lessons "$prefix/share/gorae/lessons"
  cp -r images/layout "$prefix/share/gorae/images/layout"
  install -m 0644 images/README.md "$prefix/share/gorae/images/README.md"
  install -D -m 0644 assets/apparmor/gorae "$prefix/share/gorae/apparmor/gorae"
  install -m 0644 README.ko.md README.md "$prefix/share/doc/gorae/"
  find "$prefix" -type d -exec chmod 0755 {} +
  find "$prefix/share" -type f -exec chmod 0644 {} +
}

# Every file's time is the commit's, so two builds of one commit give the same archive.
settle_times() {
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# The static release binary, built once for both packages.
static_binary=
build_static() {
  if [ -z "$static_binary" ]; then
    local dir=target/package-static
    # Static and at a fixed address (build.rs says why not position-independent).
    RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
      cargo build --release --locked --target "$host-unknown-linux-gnu" --target-dir "$dir" >&2
    static_binary="$dir/$host-unknown-linux-gnu/release/gorae"
    # A static binary needs no shared library (ldd's exit code cannot tell: it is 0 for static-pie).
    if readelf -d "$static_binary" | grep -q '(NEEDED)'; then
      echo "package.sh: $static_binary is not static" >&2
      exit 1
    fi
  fi
}

if [ "$want_deb" = 1 ]; then
  binary=${GORAE_PKG_BINARY:-}
  if [ -z "$binary" ]; then
    build_static
    binary=$static_binary
  fi
  arch=$(dpkg --print-architecture)
  root=$(mktemp -d)
  chmod 0755 "$root"
  trap 'rm -rf "$root"' EXIT
  stage "$binary" "$root/usr"
  # The profile AppArmor loads lives in /etc only where the kernel restricts user namespaces
  # (postinst decides); the package's copy stays in /usr/share/gorae/apparmor.
  mkdir -p "$root/DEBIAN"
  gzip -9n -c > "$root/usr/share/doc/gorae/changelog.gz" <<EOF
gorae ($version) unstable; urgency=medium

  * Package built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown).

 -- gorae developers <gorae@localhost>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
  cat > "$root/usr/share/doc/gorae/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: gorae
Comment: The bundled images in /usr/share/gorae/images are built from Debian packages;
 /usr/share/gorae/images/README.md lists every package, its version, license and source.
EOF
  size=$(du -sk "$root/usr" | cut -f1)
  cat > "$root/DEBIAN/control" <<EOF
Package: gorae
Version: $version
Architecture: $arch
Maintainer: gorae developers <gorae@localhost>
Installed-Size: $size
Depends: libc6
Recommends: uidmap, passt
Suggests: apparmor
Section: education
Priority: optional
Description: learn Docker in Korean by doing, offline
 A terminal app: the lesson on the left, a real shell on the right whose docker
 is gorae's own container engine (namespaces, overlay layers, seccomp, cgroups).
 Each step turns green when the engine's state matches. Bundled images, no
 network and no Docker needed. uidmap gives rootless containers more ids;
 passt gives containers a way out to the network.
EOF
  install -m 0755 packaging/deb/postinst packaging/deb/postrm "$root/DEBIAN/"
  settle_times "$root"
  out="$dist/gorae_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
  rm -rf "$root"
  trap - EXIT
  echo "$out"
fi

if [ "$want_static" = 1 ]; then
  build_static
  binary=$static_binary
  name="gorae-$version-$host-linux-static"
  root=$(mktemp -d)
  chmod 0755 "$root"
  trap 'rm -rf "$root"' EXIT
  stage "$binary" "$root/$name"
  settle_times "$root"
  out="$dist/$name.tar.gz"
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$root" -cf - "$name" | gzip -9n > "$out"
  rm -rf "$root"
  trap - EXIT
  echo "$out"
fi
