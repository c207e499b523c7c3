// Package version owns what the binary knows about its own build: the release
// version and commit stamped at link time, with the Go toolchain's embedded
// build information as the fallback for `go install` and plain `go build`.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Commit are stamped by the linker:
//
//	go build -ldflags "-X gitlab.com/aws-oidc/aws-oidc/src/internal/version.Version=1.2.3 \
//	                   -X gitlab.com/aws-oidc/aws-oidc/src/internal/version.Commit=0123abcd"
//
// They stay empty in a build that was not stamped; Get then falls back to the
// build information the Go toolchain embeds.
var (
	Version string
	Commit  string
)

// unknown stands for a field that neither the linker nor the build
// information could tell.
const unknown = "unknown"

// devel is what the toolchain reports as the main module's version when it
// was built from a work tree rather than fetched as a module.
const devel = "(devel)"

// Info describes one build of the binary.
type Info struct {
	// Version is the release version (for example "1.2.3"), the module
	// version of a `go install ...@v1.2.3`, or "dev".
	Version string
	// Commit is the git commit the binary was built from, or "unknown".
	Commit string
	// Modified is true when the build information says the work tree had
	// uncommitted changes; stamped builds never claim it.
	Modified bool
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
}

// String renders the one-line form `aws-oidc version` prints.
func (i Info) String() string {
	commit := i.Commit
	if i.Modified {
		commit += "-dirty"
	}
	return fmt.Sprintf("aws-oidc %s (commit %s, %s)", i.Version, commit, i.GoVersion)
}

// Get returns the build's version information.
func Get() Info {
	return resolve(Version, Commit, debug.ReadBuildInfo)
}

// resolve prefers the linker-stamped values and fills every gap from the
// embedded build information, which read returns (debug.ReadBuildInfo in
// production, a fake in tests).
func resolve(version, commit string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}

	bi, ok := read()
	if ok && bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != devel {
			info.Version = bi.Main.Version
		}
		// Only trust vcs.modified when the commit also came from the build
		// information: a stamped commit was chosen on purpose by the release.
		if info.Commit == "" {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Commit = s.Value
				case "vcs.modified":
					info.Modified = s.Value == "true"
				}
			}
		}
	}

	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = unknown
		info.Modified = false
	}
	return info
}
