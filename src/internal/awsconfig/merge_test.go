package awsconfig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMergeKeepsEveryOtherByte writes profile "ours" over files whose other
// sections have every header form the AWS CLI accepts: each case gives the
// exact bytes expected, so nothing outside our own section may change.
func TestMergeKeepsEveryOtherByte(t *testing.T) {
	t.Parallel()
	ours := "[ours]\n" + Marker + "\naws_access_key_id = A\naws_secret_access_key = secret-A\naws_session_token = token-A\n"
	oursConfig := "[profile ours]\n" + Marker + "\nregion = eu-west-1\n"
	cases := []struct {
		name                 string
		config, creds        string
		wantConfig, wantCred string
	}{
		{
			// The defect of issue 14: the header after ours has a comment.
			name:       "next_header_with_comment",
			config:     "[profile ours]\nregion = old\n[profile prod] # keep\nregion = us-west-2\n",
			creds:      "[ours]\naws_access_key_id = OLD\n[prod] # keep\naws_access_key_id = AKIAPROD\n",
			wantConfig: oursConfig + "[profile prod] # keep\nregion = us-west-2\n",
			wantCred:   ours + "[prod] # keep\naws_access_key_id = AKIAPROD\n",
		},
		{
			// Indented no deeper than the option before it, a header is one.
			name:   "semicolon_comment_and_indent",
			config: "[profile ours]\n   region = old\n   [profile prod] ; keep\nregion = us-west-2\n",
			creds:  "[ours]\n\taws_access_key_id = OLD\n\t[prod];x\naws_access_key_id = AKIAPROD\n",
			// Our settings are indented as deep as the header after them,
			// or the AWS CLI would read that header as part of our value.
			wantConfig: "[profile ours]\n   " + Marker + "\n   region = eu-west-1\n   [profile prod] ; keep\nregion = us-west-2\n",
			wantCred: "[ours]\n " + Marker + "\n aws_access_key_id = A\n aws_secret_access_key = secret-A\n aws_session_token = token-A\n" +
				"\t[prod];x\naws_access_key_id = AKIAPROD\n",
		},
		{
			name:       "indented_header_right_after_our_header",
			config:     "[profile ours]\n  [profile prod]\n  region = b\n",
			creds:      "[ours]\n\n\t\t[prod]\naws_access_key_id = P\n",
			wantConfig: "[profile ours]\n  " + Marker + "\n  region = eu-west-1\n  [profile prod]\n  region = b\n",
			wantCred: "[ours]\n  " + Marker + "\n  aws_access_key_id = A\n  aws_secret_access_key = secret-A\n  aws_session_token = token-A\n" +
				"\n\t\t[prod]\naws_access_key_id = P\n",
		},
		{
			name:       "our_header_with_comment_is_ours",
			config:     "[profile ours] # written by aws-oidc\nregion = old\n[profile x]\nregion = y\n",
			creds:      "[ours] ; ours\naws_access_key_id = OLD\n",
			wantConfig: oursConfig + "[profile x]\nregion = y\n",
			wantCred:   ours,
		},
		{
			name:       "comments_before_next_section_stay",
			config:     "# top\n[profile ours]\n# about ours\nregion = old\n\n# the production account\n[profile prod]\nregion = y\n",
			creds:      "[ours]\naws_access_key_id = OLD\n\n; prod below\n[prod]\naws_access_key_id = P\n",
			wantConfig: "# top\n" + oursConfig + "\n# the production account\n[profile prod]\nregion = y\n",
			wantCred:   ours + "\n; prod below\n[prod]\naws_access_key_id = P\n",
		},
		{
			// [ours] in the config file is no profile for the AWS CLI.
			name:       "sections_we_do_not_own",
			config:     "[ours]\nregion = keep\n[sso-session ours]\nsso_region = x\n[services ours]\ns3 =\n  endpoint_url = http://x\n[profile ours-2]\nregion = z\n",
			creds:      "[profile ours]\naws_access_key_id = KEEP\n[ours-2]\naws_access_key_id = Z\n",
			wantConfig: "[ours]\nregion = keep\n[sso-session ours]\nsso_region = x\n[services ours]\ns3 =\n  endpoint_url = http://x\n[profile ours-2]\nregion = z\n" + oursConfig,
			wantCred:   "[profile ours]\naws_access_key_id = KEEP\n[ours-2]\naws_access_key_id = Z\n" + ours,
		},
		{
			// botocore splits "profile..." like a shell: all of these are ours.
			name:       "profile_header_forms",
			config:     "[profile   ours]\nregion = a\n[profile \"ours\"]\nregion = b\n[profile\t'ours']\nregion = c\n[profile x]\nregion = d\n",
			creds:      "[x]\naws_access_key_id = X\n",
			wantConfig: oursConfig + "[profile x]\nregion = d\n",
			wantCred:   "[x]\naws_access_key_id = X\n" + ours,
		},
		{
			name:       "duplicate_sections_of_ours_written_once_others_kept",
			config:     "[profile ours]\nregion = a\n[profile x]\nregion = d\n[profile ours]\noutput = json\n[profile x]\noutput = text\n",
			creds:      "[ours]\naws_access_key_id = A1\n[ours]\naws_access_key_id = A2\n",
			wantConfig: oursConfig + "[profile x]\nregion = d\n[profile x]\noutput = text\n",
			wantCred:   ours,
		},
		{
			// An indented line after an option continues its value.
			name:       "header_inside_a_value_of_another_section",
			config:     "[profile x]\nnote = first\n  [profile ours]\n  region = not-a-section\n",
			creds:      "[x]\naws_access_key_id = X\n",
			wantConfig: "[profile x]\nnote = first\n  [profile ours]\n  region = not-a-section\n" + oursConfig,
			wantCred:   "[x]\naws_access_key_id = X\n" + ours,
		},
		{
			name:       "crlf_and_lone_cr",
			config:     "[profile x]\r\nregion = a\r\n[profile ours]\r\nregion = old\r\n[profile y]\rregion = b\r",
			creds:      "[x]\r\naws_access_key_id = X\r\n",
			wantConfig: "[profile x]\r\nregion = a\r\n" + oursConfig + "[profile y]\rregion = b\r",
			wantCred:   "[x]\r\naws_access_key_id = X\r\n" + ours,
		},
		{
			name:       "no_final_newline",
			config:     "[profile x]\nregion = a",
			creds:      "[x]\naws_access_key_id = X",
			wantConfig: "[profile x]\nregion = a\n" + oursConfig,
			wantCred:   "[x]\naws_access_key_id = X\n" + ours,
		},
		{
			name:       "text_before_the_first_section",
			config:     "garbage without a section\n[profile ours]\nregion = old\n",
			creds:      "# only a comment",
			wantConfig: "garbage without a section\n" + oursConfig,
			wantCred:   "# only a comment\n" + ours,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := writeFiles(t, markSections(kindConfig, tc.config, "ours"), markSections(kindCredentials, tc.creds, "ours"))
			if err := write(files, []Profile{{Name: "ours", Region: "eu-west-1", Credentials: creds("A")}}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantConfig, readString(t, files.Config)); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCred, readString(t, files.Credentials)); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultProfileForms(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, markSections(kindConfig, "[profile x]\nregion = a\n[profile default]\nregion = old\n[default]\noutput = json\n", "default"),
		markSections(kindCredentials, "[default]\naws_access_key_id = OLD\n", "default"))
	if err := write(files, []Profile{{Name: "default", Region: "eu-west-1", Credentials: creds("A")}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("[profile x]\nregion = a\n[default]\n"+Marker+"\nregion = eu-west-1\n", readString(t, files.Config)); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

// TestAmbiguousHeadersAreRefused: where the AWS CLI and lenient SDKs read a
// header as different profiles, one of them ours, nothing is written.
func TestAmbiguousHeadersAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, config, creds string }{
		{name: "spaces_inside_credentials_header", creds: "[ ours ]\naws_access_key_id = X\n"},
		{name: "space_before_profile", config: "[ profile ours]\nregion = x\n"},
		{name: "header_like_value_inside_our_section", config: "[profile ours]\nnote = a\n  [profile prod]\n  region = x\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := writeFiles(t, tc.config, tc.creds)
			err := write(files, []Profile{{Name: "ours", Credentials: creds("A")}})
			var ae *AmbiguousError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an AmbiguousError", err)
			}
			if ae.Line != 1 && tc.name != "header_like_value_inside_our_section" {
				t.Errorf("line = %d, want 1", ae.Line)
			}
			if got := readString(t, files.Config); got != tc.config {
				t.Errorf("config changed to %q", got)
			}
			if got := readString(t, files.Credentials); got != tc.creds {
				t.Errorf("credentials changed to %q", got)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	config := "# top\n[profile a]\nregion = x\n\n# b below\n[profile b] # keep\nregion = y\n[default]\nregion = z\n"
	creds := "[a]\naws_access_key_id = A\n[b]\naws_access_key_id = B\n[c]\naws_access_key_id = C\n"
	files := writeFiles(t, markSections(kindConfig, config, "a", "c"), markSections(kindCredentials, creds, "a", "c"))
	found, _, err := Remove(context.Background(), files, []string{"a", "c", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "c"}, found); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("# top\n\n# b below\n[profile b] # keep\nregion = y\n[default]\nregion = z\n", readString(t, files.Config)); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("[b]\naws_access_key_id = B\n", readString(t, files.Credentials)); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}

	// Nothing to remove: the files are not rewritten, missing ones not made.
	dir := t.TempDir()
	none := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	found, _, err = Remove(context.Background(), none, []string{"a"})
	if err != nil || len(found) != 0 {
		t.Fatalf("found %v, err %v", found, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files made: %v", entries)
	}
}

// TestRemoveRefusesToJoinAnIndentedHeader: without our section, the
// indented header after it would become part of the value before it.
func TestRemoveRefusesToJoinAnIndentedHeader(t *testing.T) {
	t.Parallel()
	config := "[profile a]\nx = 1\n[profile ours]\n" + Marker + "\n  [profile prod]\n  region = y\n"
	files := writeFiles(t, config, "")
	_, _, err := Remove(context.Background(), files, []string{"ours"})
	var ae *AmbiguousError
	if !errors.As(err, &ae) || ae.Line != 5 {
		t.Fatalf("err = %v, want an AmbiguousError on line 5", err)
	}
	if got := readString(t, files.Config); got != config {
		t.Errorf("config changed to %q", got)
	}
}

func TestShellSplit(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		`profile prod`:         {"profile", "prod"},
		`profile  "a b"`:       {"profile", "a b"},
		`profile 'a\b'`:        {"profile", `a\b`},
		`profile "a\"b\$"`:     {"profile", `a"b\$`},
		`profile a\ b`:         {"profile", "a b"},
		`profile ''`:           {"profile", ""},
		"profile\tx\r":         {"profile", "x"},
		`profilex prod`:        {"profilex", "prod"},
		`profile pr"o"d extra`: {"profile", "prod", "extra"},
	}
	for in, want := range cases {
		got, ok := shellSplit(in)
		if !ok || !cmp.Equal(want, got) {
			t.Errorf("shellSplit(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{`profile "open`, `profile 'open`, `profile x\`} {
		if _, ok := shellSplit(in); ok {
			t.Errorf("shellSplit(%q) accepted", in)
		}
	}
}

func writeFiles(t *testing.T, config, creds string) Files {
	t.Helper()
	dir := t.TempDir()
	files := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	for path, s := range map[string]string{files.Config: config, files.Credentials: creds} {
		if s == "" {
			continue
		}
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// markSections is text with our Marker under the header of each section of
// the profiles names: the files as an earlier run of aws-oidc left them.
func markSections(kind fileKind, text string, names ...string) string {
	lines := splitLines(text)
	blocks := scan(lines)
	heads := map[int]bool{}
	for _, b := range blocks {
		if !b.preamble && slices.Contains(names, profileName(kind, b.header)) {
			heads[b.start] = true
		}
	}
	var out strings.Builder
	for i, l := range lines {
		out.WriteString(l.raw)
		if heads[i] {
			end := strings.TrimPrefix(l.raw, l.text)
			if end == "" {
				end = "\n"
				out.WriteString(end)
			}
			out.WriteString(Marker + end)
		}
	}
	return out.String()
}

// TestForeignSectionsStay: a section of a profile aws-oidc did not write
// (static keys a person put in [prod] or [default], a profile of another
// tool) is neither replaced nor removed: nothing is written, and the error
// names the file, the line and the section.
func TestForeignSectionsStay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, config, creds, profile, line string }{
		{name: "static_keys_in_credentials", creds: "[prod]\naws_access_key_id = AKIAUSERSOWNKEY\naws_secret_access_key = s\n", profile: "prod", line: "credentials line 1: the section [prod]"},
		{name: "config_profile", config: "[profile prod]\nregion = eu-west-1\nrole_arn = arn:aws:iam::1:role/x\n", profile: "prod", line: "config line 1: the section [profile prod]"},
		{name: "default_of_the_runner_user", config: "[default]\nregion = eu-west-1\n", creds: "# mine\n[default]\naws_access_key_id = AKIAUSERSOWNKEY\n", profile: "default", line: "credentials line 2: the section [default]"},
		{name: "marker_in_another_section_only", creds: "[x]\n" + Marker + "\n[prod]\naws_access_key_id = AKIAUSERSOWNKEY\n", profile: "prod", line: "credentials line 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := writeFiles(t, tc.config, tc.creds)
			for _, op := range []string{"write", "remove"} {
				var err error
				if op == "write" {
					err = write(files, []Profile{{Name: tc.profile, Region: "us-east-1", Credentials: creds("ASIAOURS")}})
				} else {
					_, _, err = Remove(context.Background(), files, []string{tc.profile})
				}
				var fe *ForeignError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.line) {
					t.Errorf("%s: err = %v, want a ForeignError at %q", op, err, tc.line)
				}
				if got := readString(t, files.Config); got != tc.config {
					t.Errorf("%s: config changed to %q", op, got)
				}
				if got := readString(t, files.Credentials); got != tc.creds {
					t.Errorf("%s: credentials changed to %q", op, got)
				}
			}
		})
	}
}

// TestMarkerOnce: a config section of a header alone (no region) keeps
// one mark however often it is written, and goes whole when removed.
func TestMarkerOnce(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, "[profile other]\nregion = x\n", "")
	for range 3 {
		if err := write(files, []Profile{{Name: "ci", Credentials: creds("A")}}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := readString(t, files.Config), "[profile other]\nregion = x\n[profile ci]\n"+Marker+"\n"; got != want {
		t.Errorf("config = %q, want %q", got, want)
	}
	if _, _, err := Remove(context.Background(), files, []string{"ci"}); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, files.Config); got != "[profile other]\nregion = x\n" {
		t.Errorf("after removal config = %q", got)
	}
}

// TestRemoveDeletesEmptied: a file that held only the removed sections is
// deleted (assume made it, or the user's was empty of everything else); a
// file with other sections stays, and so does a missing one.
func TestRemoveDeletesEmptied(t *testing.T) {
	t.Parallel()
	files := writeFiles(t, "[profile other]\nregion = x\n", "")
	if err := write(files, []Profile{{Name: "ci", Region: "us-east-1", Credentials: creds("A")}}); err != nil {
		t.Fatal(err)
	}
	found, deleted, err := Remove(context.Background(), files, []string{"ci"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ci"}, found); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{files.Credentials}, deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(files.Credentials); !os.IsNotExist(err) {
		t.Errorf("the credentials file is still there (%v)", err)
	}
	if got := readString(t, files.Config); got != "[profile other]\nregion = x\n" {
		t.Errorf("config = %q", got)
	}
	if _, deleted, err := Remove(context.Background(), files, []string{"ci"}); err != nil || len(deleted) != 0 {
		t.Errorf("second removal: deleted %v, err %v", deleted, err)
	}
}
