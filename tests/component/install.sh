#!/bin/sh
# Installs what the component test and `make image` need, once per machine:
# buildah, zstd and file for the image (and qemu-user-static where Debian can
# install it), rsync (which
# gitlab-ci-local's --shell-isolation uses) from Debian, and gitlab-ci-local
# itself from npm, pinned, into a cache outside the repository. The STS peer
# comes from tests/peers/install.sh. Running it again only checks.
#
# gitlab-ci-local is pinned to 4.73.0: later versions need Node 22.
set -eu

GCL_VERSION=4.73.0
dir=${AWS_OIDC_GCL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-oidc/gitlab-ci-local-$GCL_VERSION}

say() { printf 'install: %s\n' "$*"; }

missing=
command -v rsync >/dev/null 2>&1 || missing="$missing rsync"
command -v git >/dev/null 2>&1 || missing="$missing git"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# make image: buildah builds the Dockerfile, zstd measures the alternative compression.
command -v buildah >/dev/null 2>&1 || missing="$missing buildah"
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
# make image: file checks each image's binary architecture.
command -v file >/dev/null 2>&1 || missing="$missing file"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ -n "$missing" ]; then
	say "installing Debian packages:$missing"
	$sudo apt-get update -q
	# shellcheck disable=SC2086 # the list is meant to split
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
fi
# make image runs the arm64 image's binary under qemu-aarch64-static, called
# by name: without binfmt-support (a recommendation, not installed), so the
# kernel's binfmt handlers stay as they are and no build can run a foreign
# binary behind our back. Optional: without it make image checks the arm64
# binary's ELF header only.
if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	say "installing qemu-user-static (optional)"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends qemu-user-static ||
		say "qemu-user-static could not be installed: make image will check the arm64 binary by its ELF header only"
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	say "gitlab-ci-local $GCL_VERSION needs Node 18 or later, found $(node --version)"
	exit 1
fi

if [ -x "$dir/node_modules/.bin/gitlab-ci-local" ]; then
	say "gitlab-ci-local $GCL_VERSION cached: $dir"
	exit 0
fi
say "installing gitlab-ci-local $GCL_VERSION into $dir"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "gitlab-ci-local@$GCL_VERSION"
"$dir/node_modules/.bin/gitlab-ci-local" --version
