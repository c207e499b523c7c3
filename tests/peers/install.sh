#!/bin/sh
# Installs what the end-to-end suite and `make demo` need, once per machine:
# the Debian packages, then each peer server built from source and cached by
# version outside the repository. Running it again only checks and says so.
#
#   install.sh [versitygw] [seaweedfs]    (default: both)
#
#   AWS_OIDC_PEERS_DIR  where peers are cached
#                       (default ${XDG_CACHE_HOME:-$HOME/.cache}/aws-oidc/peers)
#   GO                  the go command (default go)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.env"

GO=${GO:-go}
# Debian packages the suite and the demo call (the aws CLI, ip netns, openssl, curl,
# and tinyproxy, executable only: no service starts).
APT_PACKAGES="awscli iproute2 openssl curl tinyproxy-bin"
peers=${AWS_OIDC_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-oidc/peers}

say() { printf 'install: %s\n' "$*"; }

install_packages() {
	missing=
	for p in $APT_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		say "Debian packages present: $APT_PACKAGES"
		return
	fi
	say "installing Debian packages:$missing"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q
	# shellcheck disable=SC2086 # the list is meant to split
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
}

# build_peer NAME VERSION BINARY BUILDER: runs BUILDER with the path to write the
# binary to, in a scratch folder, then moves the result into place, so an
# interrupted build never leaves a half-written binary in the cache.
build_peer() {
	name=$1 version=$2 binary=$3 builder=$4
	dir="$peers/$name-$version"
	if [ -x "$dir/$binary" ]; then
		say "$name $version cached: $dir/$binary"
		return
	fi
	mkdir -p "$dir"
	work=$(mktemp -d "$peers/.build-$name.XXXXXX")
	say "building $name $version (a few minutes; once per machine) in $work"
	start=$(date +%s)
	if ! "$builder" "$work" "$version"; then
		chmod -R u+w "$work" 2>/dev/null || true
		rm -rf "$work"
		say "building $name $version failed"
		return 1
	fi
	mv "$work/$binary" "$dir/$binary"
	chmod -R u+w "$work" && rm -rf "$work"
	say "built $name $version in $(($(date +%s) - start))s: $dir/$binary"
}

build_versitygw() {
	# The module's own go.mod pins every dependency, so `go install mod@version` is reproducible.
	GOBIN="$1" GOFLAGS=-mod=mod GOWORK=off "$GO" install "$VERSITYGW_MODULE/cmd/versitygw@$2"
}

build_seaweedfs() {
	# `go install` refuses modules with replace directives; build inside a writable copy of
	# the downloaded module instead, where its go.mod (and its replaces) is the main module.
	src=$(GOWORK=off GOFLAGS=-mod=mod "$GO" mod download -json "$SEAWEEDFS_MODULE@$2" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$src" ] || { say "go mod download gave no module folder"; return 1; }
	cp -R "$src" "$1/src"
	chmod -R u+w "$1/src"
	(cd "$1/src" && GOWORK=off GOFLAGS=-mod=mod "$GO" build -o "$1/weed" ./weed)
}

install_packages
mkdir -p "$peers"
[ $# -gt 0 ] || set -- versitygw seaweedfs
for peer in "$@"; do
	case $peer in
	versitygw) build_peer versitygw "$VERSITYGW_VERSION" versitygw build_versitygw ;;
	seaweedfs) build_peer seaweedfs "$SEAWEEDFS_VERSION" weed build_seaweedfs ;;
	*)
		say "unknown peer \"$peer\" (valid: versitygw, seaweedfs)"
		exit 2
		;;
	esac
done
say "peers ready in $peers"
