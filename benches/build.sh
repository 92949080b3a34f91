#!/usr/bin/env bash
# Time of a fully cached `docker build` rebuild (target: < 200 ms).
# Usage: benches/build.sh [path-to-gorae]   (default: release build, built if missing)
# Not part of `cargo test`: it prints figures, it does not assert.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin="${1:-$target/release/gorae}"
if [ ! -x "$bin" ]; then
    cargo build --release >&2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GORAE_ROOT="$work/store" GORAE_IMAGES="$PWD/images/layout" LANG=C.UTF-8
mkdir -p "$work/ctx"
echo "payload" > "$work/ctx/app.txt"
head -c 2000000 /dev/urandom > "$work/ctx/blob.bin"
cat > "$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox
ARG VERSION=1.0
ENV APP_VERSION=$VERSION
WORKDIR /app
RUN echo hello > /hello.txt
COPY app.txt blob.bin ./
LABEL version=$VERSION
EXPOSE 8080
CMD ["cat", "/hello.txt"]
DOCKERFILE

ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms); "$bin" docker build -q -t bench "$work/ctx" >/dev/null; t1=$(ms)
echo "first build (pull + RUN + COPY):   $((t1 - t0)) ms"
runs=10
best=999999; total=0
for _ in $(seq $runs); do
    a=$(ms); "$bin" docker build -q -t bench "$work/ctx" >/dev/null; b=$(ms)
    d=$((b - a)); total=$((total + d)); [ $d -lt $best ] && best=$d
done
echo "cached rebuild, mean of $runs:       $((total / runs)) ms (best $best ms; target < 200 ms)"
