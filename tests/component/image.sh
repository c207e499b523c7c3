#!/usr/bin/env bash
# Proves the Dockerfile on a machine that has no Docker engine and cannot pull
# images: builds local stand-ins for the base images from files of this
# machine's Debian packages and Go toolchain, builds the image for linux/amd64
# and linux/arm64 with Debian's buildah (vfs storage, chroot isolation: no
# daemon, no privileges beyond root) into one manifest list, checks that each
# image's binary is of its architecture, runs the arm64 binary under
# qemu-user-static when it is installed, runs the amd64 image as a runner
# would, and prints the compressed sizes.
#
# The stand-ins are honest about what they replace:
#   GO_IMAGE   -> /usr/local/go (the Go toolchain of this machine, the same
#                 release as the pinned golang image), busybox-static for the
#                 shell the RUN steps need, and Debian's CA bundle; it runs on
#                 the build platform (amd64) for both targets, as in CI;
#   BASE_IMAGE -> busybox-static from Debian, for each architecture (the
#                 pinned image is the official busybox musl build of the same
#                 tool, a multi-architecture index). Debian's arm64 package
#                 comes through apt with a private state directory, checked
#                 against Debian's signed index like any apt download,
#                 without adding arm64 to this machine's dpkg.
# The Dockerfile itself is used unchanged; only its build arguments differ.
# CI builds both platforms in one `buildah build --platform ... --manifest`
# from the real base images (.gitlab-ci.yml, build-image); here each platform
# is one build, because each needs its own stand-in base.
#
# Usage: tests/component/image.sh [TAG]   (needs root, buildah, apt-get, go, file)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-localhost/aws-oidc:dev}
platforms="amd64 arm64"
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

host_arch=$(dpkg --print-architecture)

# busybox-static comes from its .deb, unpacked, so that the host needs
# neither it installed nor its conflict with Debian's busybox package. The
# host's architecture through the host's apt; another through apt with its
# own lists and status (same sources, same signing keys), so that this
# machine's package configuration stays as it is.
busybox_root() {
	local arch=$1 dir="$cache/busybox-root-$1"
	if [ ! -x "$dir/bin/busybox" ]; then
		say "fetching busybox-static for $arch from Debian"
		mkdir -p "$cache/debs/$arch"
		if [ "$arch" = "$host_arch" ]; then
			# A fresh machine may have no package lists yet.
			(cd "$cache/debs/$arch" && { apt-get -o APT::Sandbox::User=root download busybox-static >/dev/null 2>&1 ||
				{ apt-get update -q >/dev/null && apt-get -o APT::Sandbox::User=root download busybox-static >/dev/null; }; })
		else
			local state="$cache/apt-$arch"
			mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
			: >"$state/status"
			local opts=(-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o "Dir::State::status=$state/status"
				-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o APT::Sandbox::User=root)
			apt-get "${opts[@]}" update -q >/dev/null
			(cd "$cache/debs/$arch" && apt-get "${opts[@]}" download "busybox-static:$arch" >/dev/null)
		fi
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$(ls -t "$cache/debs/$arch"/busybox-static_*.deb | head -n1)" "$dir"
	fi
	printf '%s\n' "$dir/bin/busybox"
}

# Fills a mounted root file system with busybox and its applet links, a user
# database and /tmp. The applet list comes from the host's busybox of the
# same package: another architecture's cannot run here.
populate_busybox() {
	local root=$1 busybox=$2 lister=${3:-$2}
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
	chmod 1777 "$root/tmp"
	cp "$busybox" "$root/bin/busybox"
	local applet
	for applet in $("$lister" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/:/bin/false' > "$root/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$root/etc/group"
}

standin_base=localhost/aws-oidc-standin/busybox:local
standin_go=localhost/aws-oidc-standin/golang:${go_version}

build_standins() {
	local busybox c root arch
	busybox=$(busybox_root "$host_arch")

	for arch in $platforms; do
		if ! buildah_ inspect --type image "$standin_base-$arch" >/dev/null 2>&1; then
			say "building stand-in base image $standin_base-$arch"
			local target
			target=$(busybox_root "$arch")
			c=$(buildah_ from scratch)
			root=$(buildah_ mount "$c")
			populate_busybox "$root" "$target" "$busybox"
			buildah_ umount "$c" >/dev/null
			buildah_ config --cmd '["sh"]' --os linux --arch "$arch" "$c"
			# Registries label arm64 images with the variant v8.
			[ "$arch" != arm64 ] || buildah_ config --variant v8 "$c"
			buildah_ commit --quiet --rm "$c" "$standin_base-$arch" >/dev/null
		fi
	done

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

# build_image builds one image per platform, then the manifest list $tag
# that holds both, as CI pushes it.
build_image() {
	(cd "$repo" && go mod download)
	local arch created
	created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for arch in $platforms; do
		say "building $tag-$arch ($version, $commit) for linux/$arch with buildah $(buildah --version | awk '{print $3}')"
		# The host's module cache is mounted read-only and the proxy turned
		# off, so the build needs no network; the build cache is shared to
		# save time.
		# Debian 12's buildah (1.28) does not set BUILDPLATFORM, which
		# later releases (CI's) set themselves: pass it.
		buildah_ bud --quiet --isolation chroot --pull=never --platform "linux/$arch" \
			--build-arg BUILDPLATFORM="linux/$host_arch" \
			--build-arg GO_IMAGE="$standin_go" \
			--build-arg BASE_IMAGE="$standin_base-$arch" \
			--build-arg GOPROXY=off \
			--build-arg VERSION="$version" \
			--build-arg COMMIT="$commit" \
			--build-arg CREATED="$created" \
			--volume "$(go env GOMODCACHE):/go/pkg/mod:ro" \
			--volume "$(go env GOCACHE):/root/.cache/go-build" \
			--file "$repo/Dockerfile" --tag "$tag-$arch" "$repo" >/dev/null
	done
	say "assembling the manifest list $tag"
	buildah_ manifest rm "$tag" >/dev/null 2>&1 || true
	buildah_ rmi "$tag" >/dev/null 2>&1 || true
	buildah_ manifest create "$tag" >/dev/null
	for arch in $platforms; do
		buildah_ manifest add "$tag" "containers-storage:$tag-$arch" >/dev/null
	done
	local listed
	listed=$(buildah_ manifest inspect "$tag" | grep -o '"architecture": *"[a-z0-9]*"' | sed 's/.*"\([a-z0-9]*\)"$/\1/' | sort | tr '\n' ' ')
	[ "$listed" = "amd64 arm64 " ] || { echo "manifest list $tag holds [$listed], want amd64 arm64" >&2; return 1; }
}

# check_architectures copies each image's binary out and checks, with
# file(1), that it is a static ELF of the image's architecture, and that the
# image says so too. Where qemu-user-static is installed the arm64 binary
# also runs, under emulation, outside any build.
check_architectures() {
	local arch c root bin want desc config
	for arch in $platforms; do
		case $arch in amd64) want="x86-64" ;; arm64) want="ARM aarch64" ;; esac
		config=$(buildah_ inspect --type image --format '{{.OCIv1.OS}}/{{.OCIv1.Architecture}}' "$tag-$arch")
		[ "$config" = "linux/$arch" ] || { echo "image $tag-$arch says $config, want linux/$arch" >&2; return 1; }
		c=$(buildah_ from --pull=never --platform "linux/$arch" "$tag-$arch")
		root=$(buildah_ mount "$c")
		bin="$cache/aws-oidc-$arch"
		cp "$root/usr/local/bin/aws-oidc" "$bin"
		buildah_ umount "$c" >/dev/null
		buildah_ rm "$c" >/dev/null
		desc=$(file -b "$bin")
		say "linux/$arch binary: $desc"
		case $desc in
		*"ELF 64-bit"*"$want"*"statically linked"*) ;;
		*) echo "the $arch image's aws-oidc is not a static $want ELF binary" >&2; return 1 ;;
		esac
		if [ "$arch" != "$host_arch" ]; then
			if command -v "qemu-aarch64-static" >/dev/null 2>&1 && [ "$arch" = arm64 ]; then
				local out
				out=$(qemu-aarch64-static "$bin" version)
				say "linux/$arch binary under qemu-aarch64-static: $out"
				case $out in *"$version"*) ;; *) echo "the arm64 binary under qemu printed \"$out\", want version $version" >&2; return 1 ;; esac
			else
				say "qemu-user-static is not installed: the $arch binary was checked by its ELF header only"
			fi
		fi
		rm -f "$bin"
	done
}

# Runs the image the way a GitLab Runner does: a shell as the image's user in
# a world-writable project directory (what the runner's umask 0000 gives).
check_image() {
	local c project out
	say "checking $tag: /bin/sh, aws-oidc on PATH, non-root, dotenv writable"
	project=$(mktemp -d)
	chmod 0777 "$project"
	c=$(buildah_ from --pull=false "$tag-$host_arch")
	# buildah run uses the image's USER; ENTRYPOINT [] lets `sh -c` through.
	out=$(buildah_ run --isolation chroot --volume "$project:/builds/group/project" "$c" -- \
		sh -c 'cd /builds/group/project && id -u && command -v aws-oidc && aws-oidc version && echo K=v > aws.env && ls -n aws.env')
	buildah_ rm "$c" >/dev/null
	rm -rf "$project"
	printf '%s\n' "$out" | sed 's/^/    /' >&2
	printf '%s\n' "$out" | grep -qx 65532 || { echo "image does not run as uid 65532" >&2; return 1; }
	printf '%s\n' "$out" | grep -qx /usr/local/bin/aws-oidc || { echo "aws-oidc is not on PATH" >&2; return 1; }
	local entrypoint
	entrypoint=$(buildah_ inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$tag-$host_arch")
	case $entrypoint in '' | '[]') ;; *) echo "entrypoint is $entrypoint, want none" >&2; return 1 ;; esac
}

# compressed_size IMAGE FORMAT LEVEL pushes the image to an OCI layout with its
# layers compressed as a registry would store them, and prints what a runner
# downloads: the manifest's config and layer sizes added up, then the layers.
compressed_size() {
	local dir="$cache/oci-$2"
	rm -rf "$dir"
	buildah_ push --quiet --compression-format "$2" --compression-level "$3" "$1" "oci:$dir:image" >/dev/null
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

# report_size prints what a runner of each architecture downloads.
report_size() {
	local gz zst arch
	for arch in $platforms; do
		gz=$(compressed_size "$tag-$arch" gzip 9)
		zst=$(compressed_size "$tag-$arch" zstd 19)
		printf 'image %s compressed size: %s bytes (%s) with gzip -9 as pushed by CI; %s bytes (%s) with zstd -19\n' "$tag-$arch" \
			"${gz%% *}" "$(numfmt --to=iec --suffix=B "${gz%% *}")" \
			"${zst%% *}" "$(numfmt --to=iec --suffix=B "${zst%% *}")"
		printf '  gzip blobs (config, then base and aws-oidc layers): %s\n' "${gz#* }"
		if [ "${gz%% *}" -ge $((5 * 1024 * 1024)) ]; then
			echo "  over the 5 MiB target with gzip: see README.md (The image) and BENCHMARKS.md" >&2
		fi
	done
}

build_standins
build_image
check_architectures
check_image
report_size
