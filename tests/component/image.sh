#!/usr/bin/env bash
# Proves the Dockerfile on a machine that has no Docker engine and cannot pull
# images: builds local stand-ins for the two base images from files of this
# machine's Debian packages and Go toolchain, builds the image with Debian's
# buildah (vfs storage, chroot isolation: no daemon, no privileges beyond
# root), checks it, and prints its compressed size.
#
# The stand-ins are honest about what they replace:
#   GO_IMAGE   -> /usr/local/go (the Go toolchain of this machine, the same
#                 release as the pinned golang image), busybox-static for the
#                 shell the RUN steps need, and Debian's CA bundle;
#   BASE_IMAGE -> busybox-static from Debian (the pinned image is the official
#                 busybox musl build of the same tool).
# The Dockerfile itself is used unchanged; only its build arguments differ.
#
# Usage: tests/component/image.sh [TAG]   (needs root, buildah, apt-get, go)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-localhost/aws-oidc:dev}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/aws-oidc/image
version=${VERSION:-$(git -C "$repo" describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git -C "$repo" rev-parse --verify -q HEAD 2>/dev/null || echo unknown)}
go_version=$(go env GOVERSION)
go_version=${go_version#go}

# Our own storage, so that nothing here touches other users of buildah on the
# machine; vfs because overlay needs kernel support that CI may not have.
buildah_() {
	buildah --root "$cache/storage" --runroot "$cache/run" --storage-driver vfs "$@"
}

say() { printf '==> %s\n' "$*" >&2; }

mkdir -p "$cache/debs"

# busybox-static comes from its .deb, unpacked, so that the host needs
# neither it installed nor its conflict with Debian's busybox package.
busybox_root() {
	local dir="$cache/busybox-root"
	if [ ! -x "$dir/bin/busybox" ]; then
		say "fetching busybox-static from Debian"
		# A fresh machine may have no package lists yet.
		(cd "$cache/debs" && { apt-get -o APT::Sandbox::User=root download busybox-static >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && apt-get -o APT::Sandbox::User=root download busybox-static >/dev/null; }; })
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$(ls -t "$cache"/debs/busybox-static_*.deb | head -n1)" "$dir"
	fi
	printf '%s\n' "$dir/bin/busybox"
}

# Fills a mounted root file system with busybox and its applet links, a user
# database and /tmp.
populate_busybox() {
	local root=$1 busybox=$2
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
	chmod 1777 "$root/tmp"
	cp "$busybox" "$root/bin/busybox"
	local applet
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/:/bin/false' > "$root/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$root/etc/group"
}

standin_base=localhost/aws-oidc-standin/busybox:local
standin_go=localhost/aws-oidc-standin/golang:${go_version}

build_standins() {
	local busybox c root
	busybox=$(busybox_root)

	if ! buildah_ inspect --type image "$standin_base" >/dev/null 2>&1; then
		say "building stand-in base image $standin_base"
		c=$(buildah_ from scratch)
		root=$(buildah_ mount "$c")
		populate_busybox "$root" "$busybox"
		buildah_ umount "$c" >/dev/null
		buildah_ config --cmd '["sh"]' "$c"
		buildah_ commit --quiet --rm "$c" "$standin_base" >/dev/null
	fi

	if ! buildah_ inspect --type image "$standin_go" >/dev/null 2>&1; then
		say "building stand-in Go builder image $standin_go from $(go env GOROOT)"
		c=$(buildah_ from scratch)
		root=$(buildah_ mount "$c")
		populate_busybox "$root" "$busybox"
		mkdir -p "$root/usr/local" "$root/go" "$root/etc/ssl/certs"
		# The toolchain without its own test suite, as in the golang image.
		tar -C "$(go env GOROOT)/.." --exclude='go/test' -cf - go | tar -C "$root/usr/local" -xf -
		cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
		buildah_ umount "$c" >/dev/null
		buildah_ config \
			--env PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--env GOPATH=/go --env GOTOOLCHAIN=local --workingdir /go "$c"
		buildah_ commit --quiet --rm "$c" "$standin_go" >/dev/null
	fi
}

build_image() {
	say "building $tag ($version, $commit) with buildah $(buildah --version | awk '{print $3}')"
	# The host's module cache is mounted read-only and the proxy turned off,
	# so the build needs no network; the build cache is shared to save time.
	(cd "$repo" && go mod download)
	buildah_ bud --quiet --isolation chroot --pull=false \
		--build-arg GO_IMAGE="$standin_go" \
		--build-arg BASE_IMAGE="$standin_base" \
		--build-arg GOPROXY=off \
		--build-arg VERSION="$version" \
		--build-arg COMMIT="$commit" \
		--build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--volume "$(go env GOMODCACHE):/go/pkg/mod:ro" \
		--volume "$(go env GOCACHE):/root/.cache/go-build" \
		--file "$repo/Dockerfile" --tag "$tag" "$repo" >/dev/null
}

# Runs the image the way a GitLab Runner does: a shell as the image's user in
# a world-writable project directory (what the runner's umask 0000 gives).
check_image() {
	local c project out
	say "checking $tag: /bin/sh, aws-oidc on PATH, non-root, dotenv writable"
	project=$(mktemp -d)
	chmod 0777 "$project"
	c=$(buildah_ from --pull=false "$tag")
	# buildah run uses the image's USER; ENTRYPOINT [] lets `sh -c` through.
	out=$(buildah_ run --isolation chroot --volume "$project:/builds/group/project" "$c" -- \
		sh -c 'cd /builds/group/project && id -u && command -v aws-oidc && aws-oidc version && echo K=v > aws.env && ls -n aws.env')
	buildah_ rm "$c" >/dev/null
	rm -rf "$project"
	printf '%s\n' "$out" | sed 's/^/    /' >&2
	printf '%s\n' "$out" | grep -qx 65532 || { echo "image does not run as uid 65532" >&2; return 1; }
	printf '%s\n' "$out" | grep -qx /usr/local/bin/aws-oidc || { echo "aws-oidc is not on PATH" >&2; return 1; }
	local entrypoint
	entrypoint=$(buildah_ inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$tag")
	case $entrypoint in '' | '[]') ;; *) echo "entrypoint is $entrypoint, want none" >&2; return 1 ;; esac
}

# compressed_size FORMAT LEVEL pushes the image to an OCI layout with its
# layers compressed as a registry would store them, and prints what a runner
# downloads: the manifest's config and layer sizes added up, then the layers.
compressed_size() {
	local dir="$cache/oci-$1"
	rm -rf "$dir"
	buildah_ push --quiet --compression-format "$1" --compression-level "$2" "$tag" "oci:$dir:image" >/dev/null
	local index manifest sizes total=0 size
	index=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$dir/index.json" | head -n1)
	manifest="$dir/blobs/sha256/$index"
	sizes=$(grep -o '"size":[0-9]*' "$manifest" | cut -d: -f2)
	for size in $sizes; do
		total=$((total + size))
	done
	rm -rf "$dir"
	printf '%d %s\n' "$total" "$(printf '%s' "$sizes" | tr '\n' ' ')"
}

report_size() {
	local gz zst
	gz=$(compressed_size gzip 9)
	zst=$(compressed_size zstd 19)
	printf 'image %s compressed size: %s bytes (%s) with gzip -9 as pushed by CI; %s bytes (%s) with zstd -19\n' "$tag" \
		"${gz%% *}" "$(numfmt --to=iec --suffix=B "${gz%% *}")" \
		"${zst%% *}" "$(numfmt --to=iec --suffix=B "${zst%% *}")"
	printf '  gzip blobs (config, then base and aws-oidc layers): %s\n' "${gz#* }"
	if [ "${gz%% *}" -ge $((5 * 1024 * 1024)) ]; then
		echo "  over the 5 MiB target with gzip: see README.md (The image) and BENCHMARKS.md" >&2
	fi
}

build_standins
build_image
check_image
report_size
