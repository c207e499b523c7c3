package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	t.Parallel()

	buildInfo := func(mainVersion string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{
				GoVersion: "go1.99.1",
				Main:      debug.Module{Path: "gitlab.com/aws-oidc/aws-oidc", Version: mainVersion},
				Settings:  settings,
			}, true
		}
	}
	noBuildInfo := func() (*debug.BuildInfo, bool) { return nil, false }

	cases := []struct {
		name    string
		version string
		commit  string
		read    func() (*debug.BuildInfo, bool)
		want    Info
	}{
		{
			name:    "stamped_values_win_over_build_info",
			version: "1.2.3",
			commit:  "abc1234",
			read: buildInfo("v9.9.9",
				debug.BuildSetting{Key: "vcs.revision", Value: "ffffffffffffffffffffffffffffffffffffffff"},
				debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			want: Info{Version: "1.2.3", Commit: "abc1234", GoVersion: "go1.99.1"},
		},
		{
			name: "go_install_of_a_module_version",
			read: buildInfo("v1.4.0"),
			want: Info{Version: "v1.4.0", Commit: "unknown", GoVersion: "go1.99.1"},
		},
		{
			name: "work_tree_build_takes_vcs_revision",
			read: buildInfo("(devel)",
				debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				debug.BuildSetting{Key: "vcs.modified", Value: "false"}),
			want: Info{Version: "dev", Commit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.99.1"},
		},
		{
			name: "work_tree_build_with_local_changes",
			read: buildInfo("(devel)",
				debug.BuildSetting{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
				debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			want: Info{Version: "dev", Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true, GoVersion: "go1.99.1"},
		},
		{
			name:    "stamped_version_with_commit_from_build_info",
			version: "1.0.0",
			read:    buildInfo("", debug.BuildSetting{Key: "vcs.revision", Value: "deadbeef"}),
			want:    Info{Version: "1.0.0", Commit: "deadbeef", GoVersion: "go1.99.1"},
		},
		{
			name: "no_build_info_at_all",
			read: noBuildInfo,
			want: Info{Version: "dev", Commit: "unknown", GoVersion: runtime.Version()},
		},
		{
			name: "modified_without_revision_is_not_claimed",
			read: buildInfo("(devel)", debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			want: Info{Version: "dev", Commit: "unknown", GoVersion: "go1.99.1"},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := resolve(tc.version, tc.commit, tc.read)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("resolve() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInfoString(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		info Info
		want string
	}{
		{
			name: "release",
			info: Info{Version: "1.2.3", Commit: "abc1234", GoVersion: "go1.26.8"},
			want: "aws-oidc 1.2.3 (commit abc1234, go1.26.8)",
		},
		{
			name: "dirty_work_tree",
			info: Info{Version: "dev", Commit: "abc1234", Modified: true, GoVersion: "go1.26.8"},
			want: "aws-oidc dev (commit abc1234-dirty, go1.26.8)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.info.String()); diff != "" {
				t.Errorf("String() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGetInTestBinary checks the real wiring: a test binary is not stamped,
// so Get must still fill every field.
func TestGetInTestBinary(t *testing.T) {
	t.Parallel()

	got := Get()
	if got.Version == "" || got.Commit == "" || !strings.HasPrefix(got.GoVersion, "go") {
		t.Errorf("Get() left a field empty: %+v", got)
	}
}
