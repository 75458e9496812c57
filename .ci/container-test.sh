#!/usr/bin/env bash
# Builds Containerfile and smoke-runs README's Kubernetes and AWS Batch
# commands in the image, with no container engine or daemon: buildah from
# Debian's packages, chroot isolation, vfs storage, all under a temporary
# folder that is removed at the end.
#
# This machine reaches no container registry, so the two base images the
# Containerfile names by default cannot be pulled. They are made here from
# Debian 12's packages instead (mmdebstrap, with the machine's apt sources):
# a builder with Debian's Rust (rustc-web, >= 1.85) and a minimal runtime,
# passed as BUILD_IMAGE and RUNTIME_IMAGE. Everything after FROM is the
# Containerfile as shipped.
#
# The check: two shards of experiments/growth_x_delay.toml run in the image
# as the README's Indexed Job and array job run them (the shard index from
# JOB_COMPLETION_INDEX, then from AWS_BATCH_JOB_ARRAY_INDEX), as the image's
# non-root user, into a mounted /results; their merge, made in the image
# too, must equal byte for byte the same sweep run whole by this checkout's
# binary (MORTGAGE_SIM, default target/release/mortgage-sim).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
host_bin="${MORTGAGE_SIM:-target/release/mortgage-sim}"
test -x "$host_bin" || { echo "container test: build $host_bin first (cargo build --release)"; exit 1; }

if ! command -v buildah >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah mmdebstrap >/dev/null
fi
buildah --version

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# buildah keeps its cache mounts under TMPDIR: keep them in $tmp too.
export TMPDIR="$tmp"
b=(buildah --root "$tmp/storage" --runroot "$tmp/run" --storage-driver vfs)

# The machine's Debian sources (no mirror is named here); snapshot mirrors
# serve Release files past their Valid-Until date.
sources=/etc/apt/sources.list.d/debian.sources
test -f "$sources" || sources=/etc/apt/sources.list
base_image() { # NAME [mmdebstrap options]: a Debian 12 root filesystem as localhost/NAME
    local name="$1"
    shift
    mmdebstrap --quiet --variant=minbase --aptopt='Acquire::Check-Valid-Until "false"' "$@" \
        bookworm "$tmp/$name.tar" "$sources"
    local ctr
    ctr="$("${b[@]}" from scratch)"
    "${b[@]}" add --quiet "$ctr" "$tmp/$name.tar" / >/dev/null
    "${b[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    "${b[@]}" commit --quiet "$ctr" "localhost/$name" >/dev/null
    "${b[@]}" rm "$ctr" >/dev/null
    rm "$tmp/$name.tar"
}
base_image builder --include=rustc-web,cargo-web,gcc,libc6-dev,ca-certificates
base_image runtime
echo "base images made from Debian packages in $((SECONDS - started)) s"

# The machine's CA certificates are mounted for the build's RUN steps: the
# network here may re-sign TLS, and cargo fetches crates.io over it.
"${b[@]}" build --quiet --isolation chroot --volume /etc/ssl/certs:/etc/ssl/certs:ro \
    --build-arg BUILD_IMAGE=localhost/builder --build-arg RUNTIME_IMAGE=localhost/runtime \
    -f Containerfile -t localhost/mortgage-sim . >/dev/null
echo "image built in $((SECONDS - started)) s"

results="$tmp/results"
mkdir -p "$results"
chown 10001:10001 "$results" # what Kubernetes' fsGroup: 10001 does for the volume
ctr="$("${b[@]}" from localhost/mortgage-sim)"
in_image() { "${b[@]}" run --isolation chroot -v "$results:/results" "$@"; }
in_image --env JOB_COMPLETION_INDEX=0 "$ctr" -- sh -c \
    'mortgage-sim sweep experiments/growth_x_delay.toml --shard-count 2 --replicas 1 --threads 2 --quiet --force --out /results/gxd.shards/shard-$JOB_COMPLETION_INDEX'
in_image --env AWS_BATCH_JOB_ARRAY_INDEX=1 "$ctr" -- sh -c \
    'mortgage-sim sweep experiments/growth_x_delay.toml --shard-count 2 --replicas 1 --threads 2 --quiet --force --out /results/gxd.shards/shard-$AWS_BATCH_JOB_ARRAY_INDEX'
in_image "$ctr" -- sh -c 'mortgage-sim merge /results/gxd.shards/shard-* --out /results/gxd'
test "$(in_image "$ctr" -- id -u)" = 10001 || { echo "the image does not run as uid 10001"; exit 1; }
"${b[@]}" rm "$ctr" >/dev/null

"$host_bin" sweep experiments/growth_x_delay.toml --replicas 1 --quiet --out "$tmp/whole"
for f in points replicas summary timeseries risk training_runs; do
    cmp "$tmp/whole/$f.csv" "$results/gxd/$f.csv" \
        || { echo "container test: $f.csv of the image's merged shards differs from the whole sweep"; exit 1; }
done
echo "container test OK: image built, 2 shards (Kubernetes and AWS Batch index variables) merged in it equal the whole sweep; $((SECONDS - started)) s"
