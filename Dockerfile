# The aws-oidc image: a static aws-oidc binary on a busybox base, for the
# catalog component's job. GitLab runs `script:` through a shell, so the final
# image must hold /bin/sh; busybox gives it for about 1 MB.
#
# One manifest list for linux/amd64 and linux/arm64 (arm64 runners are
# common): `buildah build --platform linux/amd64,linux/arm64 --manifest NAME`.
# The build stage runs on the build machine's platform and cross-compiles for
# the target (Go needs no emulator for that); the final stage only copies, so
# no target-architecture binary ever runs during the build. `make image`
# checks each image's binary architecture, and runs the arm64 one under
# qemu-user-static where it is installed.
#
# Both base images are build arguments pinned by digest, so that a build is
# repeatable and so that `make image` can prove this file on a machine that
# cannot pull images, by passing local stand-ins (tests/component/image.sh).
# The digests were copied from public pins and are checked by the first CI
# pull; bump tag and digest together. Both must be digests of the
# multi-platform index (public pins of these two describe them so), not of
# one platform's manifest: the arm64 build resolves BASE_IMAGE through it.
ARG GO_IMAGE=docker.io/library/golang:1.26.8-alpine@sha256:ce864e7223ac17b1775e6fd0b4c0db580c2eb50e7953a427916379e4b92a1628
ARG BASE_IMAGE=docker.io/library/busybox:1.37.0-musl@sha256:5cec3fc171c87218698e85a52af7087de727372aae264a787b8112901a5b0092

FROM --platform=${BUILDPLATFORM} ${GO_IMAGE} AS build
# GOTOOLCHAIN=local: fail instead of downloading another toolchain when
# go.mod asks for a newer Go than the builder image has.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
# The module proxy to use; `make image` passes `off` with the host's module
# cache mounted, so the local build needs no network.
ARG GOPROXY=https://proxy.golang.org,direct
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY src/ src/
ARG VERSION=dev
ARG COMMIT=unknown
# Size, for the 5 MB compressed target (measured with make image):
# urfave_cli_no_docs drops urfave/cli's man page and Markdown generators
# (go-md2man, blackfriday), which the tool never calls: about 250 KB; and
# -gcflags=all=-l (no inlining) takes about 15% off the binary (17.2 MB to
# 14.3 MB stripped, 5.8 MB to 4.6 MB gzipped, measured on 2026-11-26). The
# tool spends its time waiting on one HTTPS round trip,
# and the crypto that matters is assembly, so the cost is a fraction of a
# millisecond. Pass --build-arg GCFLAGS= for a build with inlining.
ARG GCFLAGS=all=-l
# Set by buildah (and docker buildx) for each platform of --platform; empty
# means the build machine's own.
ARG TARGETOS
ARG TARGETARCH
RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -buildvcs=false -tags urfave_cli_no_docs -gcflags="${GCFLAGS}" \
      -ldflags "-s -w \
        -X gitlab.com/aws-oidc/aws-oidc/src/internal/version.Version=${VERSION} \
        -X gitlab.com/aws-oidc/aws-oidc/src/internal/version.Commit=${COMMIT}" \
      -o /out/usr/local/bin/aws-oidc ./src/cmd/aws-oidc \
 && mkdir -p /out/etc/ssl/certs \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt \
 && printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'aws-oidc:x:65532:65532:aws-oidc:/tmp:/bin/sh' > /out/etc/passwd \
 && printf '%s\n' 'root:x:0:' 'aws-oidc:x:65532:' > /out/etc/group

# The target platform said out loud: buildah before 1.30 (Debian 12's 1.28)
# otherwise keeps the build stage's platform for this one.
FROM --platform=${TARGETPLATFORM} ${BASE_IMAGE}
ARG VERSION=dev
ARG COMMIT=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=https://gitlab.com/aws-oidc/aws-oidc
LABEL org.opencontainers.image.title="aws-oidc" \
      org.opencontainers.image.description="Exchange a GitLab or GitHub OIDC ID token for temporary AWS credentials" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}"
COPY --from=build /out/ /
# Not root: GitLab Runner's Docker and Kubernetes executors create the
# project directory world-writable (umask 0000), or, with
# FF_DISABLE_UMASK_FOR_DOCKER_EXECUTOR, chown it to this user after asking
# `id -u`/`id -g` (busybox has id). Either way the job can write its dotenv
# file into $CI_PROJECT_DIR.
USER 65532:65532
# GitLab starts the job's shell itself; an entrypoint would swallow it.
ENTRYPOINT []
CMD ["aws-oidc", "--help"]
