# aws-oidc: every entry point a maintainer or CI needs.
# `make demo` runs the main job end to end; `make test` runs every test.

GO          ?= go
BIN         ?= bin/aws-oidc
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
PKG         := gitlab.com/aws-oidc/aws-oidc/src/internal/version
LDFLAGS     := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT)

export CGO_ENABLED = 0

.PHONY: build test unit lint fmt vet
build:
	$(GO) build -trimpath -tags urfave_cli_no_docs -ldflags '$(LDFLAGS)' -o $(BIN) ./src/cmd/aws-oidc

unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./src/...

lint: vet staticcheck
	@out=$$(gofmt -l src tests); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...

# staticcheck, pinned, installed into the first GOPATH's bin (named in full,
# so PATH does not matter) when missing or of another version.
STATICCHECK_VERSION := 0.8.2
STATICCHECK_BIN     := $(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin
STATICCHECK         := $(STATICCHECK_BIN)/staticcheck
.PHONY: staticcheck
staticcheck:
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION))' || \
		GOBIN=$(STATICCHECK_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@v$(STATICCHECK_VERSION)

vet:
	$(GO) vet ./...

test: lint unit fuzz-smoke schema-test hostile e2e component-test image

# Fuzz targets, as package:Function. `make fuzz` runs each for FUZZTIME; the
# committed corpora under testdata/fuzz also run as plain tests in `make unit`.
FUZZ_TARGETS := \
	./src/internal/token:FuzzParse \
	./src/internal/awsconfig:FuzzMerge \
	./src/internal/logging:FuzzScrub \
	./src/internal/output:FuzzParseDotenv \
	./src/internal/output:FuzzWriteDotenv \
	./src/internal/output:FuzzWriteShell \
	./src/internal/output:FuzzWritePowerShell \
	./src/internal/output:FuzzMergeDotenv \
	./src/internal/output:FuzzWriteGitHub \
	./src/internal/exchange:FuzzParseARN \
	./src/internal/exchange:FuzzParseDuration \
	./src/internal/exchange:FuzzClassify \
	./src/internal/exchange:FuzzSanitizeValue \
	./src/internal/exchange:FuzzParseTag \
	./src/internal/exchange:FuzzSanitizeSourceIdentity \
	./src/internal/exchange:FuzzPatterns \
	./src/internal/rolesfile:FuzzParse \
	./src/internal/trustpolicy:FuzzParsePolicy \
	./src/internal/trustpolicy:FuzzSubjectPattern
FUZZTIME ?= 30s

.PHONY: fuzz fuzz-smoke
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz: $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 3s || exit 1; \
	done

# CI's short pass over every fuzz target.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3s

# The catalog component, its image and its pipelines (issue 4).
.PHONY: image schema-test component-test component-deps
# Builds the Dockerfile with buildah from local stand-in base images for
# linux/amd64 and linux/arm64 into one manifest list, checks each image's
# binary architecture (and runs the arm64 one under qemu-user-static when
# component-deps could install it), and prints the compressed sizes (no
# Docker engine, no registry needed).
image: component-deps
	VERSION=$(VERSION) bash tests/component/image.sh

# Validates every YAML file we ship against GitLab's CI schema, the copy kept
# in tests/schema/testdata.
schema-test:
	$(GO) test -count=1 ./tests/schema/...

# Refreshes that copy from GitLab's default branch, on purpose only: review
# the diff, run `make schema-test`, and commit it with the GitLab version.
.PHONY: ci-schema
CI_SCHEMA_URL ?= https://gitlab.com/gitlab-org/gitlab/-/raw/master/app/assets/javascripts/editor/schema/ci.json
ci-schema:
	curl -fsSL -o tests/schema/testdata/gitlab-ci-schema.json.new "$(CI_SCHEMA_URL)"
	mv tests/schema/testdata/gitlab-ci-schema.json.new tests/schema/testdata/gitlab-ci-schema.json
	git diff --stat -- tests/schema/testdata/gitlab-ci-schema.json

# Runs the component's test pipeline under gitlab-ci-local (pinned, cached by
# tests/component/install.sh) against SeaweedFS from the end-to-end bed. Needs
# root (network namespace) and the peers.
component-test: peers component-deps
	$(GO) test -count=1 -timeout 10m ./tests/component/...

# gitlab-ci-local 4.73.0 from npm (cached outside the checkout), rsync,
# buildah, zstd, file, and qemu-user-static where Debian can install it.
component-deps:
	sh tests/component/install.sh

# The built binary as a process, against a lying STS on loopback (issue
# 14) and real files (tests/filetests: all or nothing, locks): secrets
# echoed in every field, forged log lines, expired and oversized answers.
# Needs neither root nor peers (the DNS test, which mounts its own
# resolv.conf in a mount namespace, runs only as root); prlimit caps memory.
.PHONY: hostile
hostile:
	$(GO) test -count=1 -timeout 10m ./tests/hostile/... ./tests/filetests/...

# The end-to-end bed against real peers (issue 3).
.PHONY: peers e2e demo
# Installs the Debian packages and builds each peer server once, cached by
# version (tests/peers/versions.env) outside the repository.
peers:
	sh tests/peers/install.sh

# Runs the end-to-end suite: VersityGW and SeaweedFS as STS and S3, the fake
# GitLab, the built binary and the AWS CLI as real processes. Needs root (it
# creates network namespaces) and the peers (`make peers`).
e2e: peers
	$(GO) test -count=1 -timeout 15m ./tests/e2e/... ./tests/fwdproxy/... ./tests/throttle/... ./tests/benchdoc/...

# The main job end to end on this machine, explained step by step.
demo:
	bash tests/demo.sh

# Everything the tests need on a fresh machine (apt packages, npm tools, peers).
.PHONY: deps
deps: peers component-deps staticcheck

# Benchmarks (issue 7): aws-oidc against GitLab's aws CLI snippet and a bare
# curl POST, on SeaweedFS from the end-to-end bed; writes BENCHMARKS.md. A
# measurement, never a test: its files need the bench build tag. Needs root
# (network namespace) and the peers. BENCH_RUNS=5 for a quick look.
.PHONY: bench
bench: build peers
	@command -v hyperfine >/dev/null || apt-get install -y hyperfine || { apt-get update && apt-get install -y hyperfine; }
	@test -x /usr/bin/time || apt-get install -y time || { apt-get update && apt-get install -y time; }
	AWS_OIDC_BIN=$(abspath $(BIN)) $(GO) test -tags bench -count=1 -timeout 30m -run '^TestBench$$' -v ./tests/bench/

# Issue 13: many jobs at once against a throttled STS. bench-load starts N
# real aws-oidc processes together (BENCH_LOAD_JOBS, default 50,100,200)
# against SeaweedFS behind tests/throttle's front (5 requests/s, burst 2),
# next to main before issue 13 (built from BENCH_LOAD_OLD_REV) and the
# guide's aws CLI snippet. bench-sim runs the same retry code for 1,000 and
# 10,000 jobs on a virtual clock. Each writes its own section of
# BENCHMARKS.md; neither is a test. bench-load needs root and the peers.
BENCH_LOAD_OLD_REV ?= 721edaf^
.PHONY: bench-load bench-sim
bench-load: peers
	BENCH_LOAD_OLD_REV='$(BENCH_LOAD_OLD_REV)' $(GO) test -tags bench -count=1 -timeout 60m -run '^TestBenchLoad$$' -v ./tests/bench/

bench-sim:
	$(GO) test -tags bench -count=1 -timeout 30m -run '^TestBenchSim$$' -v ./src/internal/exchange/

# Issue 11's figures for a redesign's before and after: packages, import
# edges, largest file and function, the cli share, and start-up of
# `aws-oidc version` against a Go hello world in the same run.
.PHONY: shape
shape: build
	$(GO) run ./tests/shape -bin $(BIN)
