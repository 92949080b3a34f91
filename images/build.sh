#!/usr/bin/env bash
# Builds gorae's bundled image catalog (images/layout) from the Debian packages pinned in
# images/packages.lock. See images/README.md.
#
#   images/build.sh                 build into images/layout (replacing it)
#   images/build.sh --verify        rebuild in a temp dir and compare every file with images/layout
#   images/build.sh --update-lock   pin apt's current candidates into images/packages.lock
#
# Needs: apt-get/apt-cache (Debian or derivative, `apt-get update` done), dpkg-deb, gzip,
# python3 (stdlib only). Root is not needed for the build itself.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/gorae-images"

mode=()
case "${1:-}" in
  "") ;;
  --verify) mode=(--verify) ;;
  --update-lock) mode=(--update-lock) ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

for tool in apt-get apt-cache dpkg-deb dpkg gzip python3; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is required" >&2; exit 1; }
done

# -B: no __pycache__ beside the scripts (build.py imports fstree.py and customize.py).
exec python3 -B "$here/build.py" --cache "$cache" --layout "$here/layout" "${mode[@]}"
