package awsconfig

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// awsCLI is the Debian AWS CLI v2 that `make deps` installs; an older
// Python aws may come first on PATH.
const awsCLI = "/usr/bin/aws"

// cliView is what the AWS CLI reads from a pair of files: every profile it
// lists, with the value of key `marker` in it ("" when unset), or err when
// it refuses the files.
type cliView struct {
	profiles map[string]string
	err      string
}

func awsRun(t *testing.T, files Files, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(awsCLI, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + files.Config,
		"AWS_SHARED_CREDENTIALS_FILE=" + files.Credentials, "AWS_PAGER="}
	out, err := cmd.Output()
	return string(out), err
}

func readCLIView(t *testing.T, files Files) cliView {
	t.Helper()
	out, err := awsRun(t, files, "configure", "list-profiles")
	if err != nil {
		return cliView{err: err.Error()}
	}
	v := cliView{profiles: map[string]string{}}
	for _, p := range strings.Split(strings.TrimSpace(out), "\n") {
		if p == "" {
			continue
		}
		// A profile without the key makes `configure get` exit 1.
		m, _ := awsRun(t, files, "configure", "get", "marker", "--profile", p)
		v.profiles[p] = strings.TrimSpace(m)
	}
	return v
}

// TestAWSCLIReadsTheSameProfilesAfterward generates files with every header
// form the AWS CLI accepts and asks the real AWS CLI what it reads before
// and after a run writes, then removes, profile "ours": every other profile
// stays as it was, ours holds what was written.
func TestAWSCLIReadsTheSameProfilesAfterward(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("no AWS CLI at %s (make deps installs it)", awsCLI)
	}
	cases := []struct{ name, config, creds string }{
		{
			name: "comments_after_headers",
			config: "[profile ours]\n  region = old\n  marker = old\n  [profile prod] # keep\nmarker = c-prod\n" +
				"[profile dev] ; keep\nmarker = c-dev\n[default] # d\nmarker = c-default\n",
			creds: "[ours]\naws_access_key_id = OLD\n[prod] # keep\naws_access_key_id = AKIAPROD\n" +
				"[stage];x\nmarker = k-stage\n",
		},
		{
			name: "whitespace_quotes_prefixes_other_kinds_line_ends",
			config: "  [profile   spaced]  \r\nmarker = c-spaced\r\n[profile \"quoted\"]\rmarker = c-quoted\r" +
				"[profilex  odd]\nmarker = c-odd\n[profile\tours]\nregion = old\n[ours]\nmarker = not-a-profile\n" +
				"[sso-session ours]\nsso_region = eu-west-1\n[profile note]\nmarker = c-note\ntext = first\n  [profile ours]\n  still text",
			creds: "[tabbed]\n  marker = k-tabbed\n  [alsoprofile]\nmarker = k-also\n[profile ours]\nregion = k-profile-ours",
		},
		{
			// The AWS CLI refuses duplicate sections: after the run, ours is
			// written once and the file reads again.
			name:   "duplicates_of_ours",
			config: "[profile ours]\nregion = a\n[profile x]\nmarker = c-x\n[profile ours]\noutput = json\n",
			creds:  "[ours]\naws_access_key_id = A1\n[ours]\naws_access_key_id = A2\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := writeFiles(t, markSections(kindConfig, tc.config, "ours"), markSections(kindCredentials, tc.creds, "ours"))
			before := readCLIView(t, files)
			if err := write(files, []Profile{{Name: "ours", Region: "eu-west-1", Credentials: creds("ASIAOURS")}}); err != nil {
				t.Fatal(err)
			}
			after := readCLIView(t, files)
			if after.err != "" {
				t.Fatalf("the AWS CLI cannot read the files we wrote: %s\nconfig:\n%s\ncredentials:\n%s", after.err,
					readString(t, files.Config), readString(t, files.Credentials))
			}
			if key, _ := awsRun(t, files, "configure", "get", "aws_access_key_id", "--profile", "ours"); strings.TrimSpace(key) != "ASIAOURS" {
				t.Errorf("profile ours has key id %q", key)
			}
			if region, _ := awsRun(t, files, "configure", "get", "region", "--profile", "ours"); strings.TrimSpace(region) != "eu-west-1" {
				t.Errorf("profile ours has region %q", region)
			}
			if before.err == "" {
				want, got := maps.Clone(before.profiles), maps.Clone(after.profiles)
				delete(want, "ours")
				delete(got, "ours")
				if !maps.Equal(want, got) {
					t.Errorf("the AWS CLI reads other profiles differently:\nbefore %v\nafter  %v", before.profiles, after.profiles)
				}
			}

			if _, _, err := Remove(context.Background(), files, []string{"ours"}); err != nil {
				t.Fatal(err)
			}
			// The values were compared above; the names are enough here.
			out, err := awsRun(t, files, "configure", "list-profiles")
			if err != nil {
				t.Fatalf("the AWS CLI cannot read the files after Remove: %v", err)
			}
			want := slices.DeleteFunc(slices.Sorted(maps.Keys(after.profiles)), func(p string) bool { return p == "ours" })
			if got := slices.Sorted(strings.Lines(strings.TrimSpace(out) + "\n")); !slices.Equal(want, trimAll(got)) {
				t.Errorf("after Remove the AWS CLI lists %q, want %q", got, want)
			}
			t.Logf("profiles the AWS CLI reads: %v", slices.Sorted(maps.Keys(after.profiles)))
		})
	}
}

func trimAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, "\n")
	}
	return out
}
