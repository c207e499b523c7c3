package awsconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

func creds(id string) exchange.Credentials {
	return exchange.Credentials{AccessKeyID: id, SecretAccessKey: "secret-" + id, SessionToken: "token-" + id,
		Expiration: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// write is Prepare then Write, what the cli does for --profile.
func write(files Files, profiles []Profile) error {
	p, err := Prepare(files, profiles)
	if err != nil {
		return err
	}
	return p.Write()
}

func TestWrite(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                  string
		existingConfig        string
		existingCreds         string
		profiles              []Profile
		goldenConfig, goldenC string
	}{
		{name: "new_files", profiles: []Profile{
			{Name: "prod", Region: "eu-west-1", Credentials: creds("ASIAPROD")},
			{Name: "default", Region: "us-east-1", Credentials: creds("ASIADEFAULT")},
		}, goldenConfig: "new.config.golden", goldenC: "new.credentials.golden"},
		{name: "merge_keeps_others_replaces_ours",
			existingConfig: "[default]\nregion = us-west-2\n\n[profile prod]\nregion = old\nrole_arn = old\n[profile other]\noutput = json\n",
			existingCreds:  "# mine\n[other]\naws_access_key_id = AKIAOTHER\n[prod]\naws_access_key_id = OLD\n",
			profiles:       []Profile{{Name: "prod", Region: "eu-west-1", Credentials: creds("ASIAPROD")}, {Name: "staging", Credentials: creds("ASIASTAGE")}},
			goldenConfig:   "merge.config.golden", goldenC: "merge.credentials.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			if tc.existingConfig != "" {
				os.WriteFile(files.Config, []byte(markSections(kindConfig, tc.existingConfig, "prod")), 0o600)
				os.WriteFile(files.Credentials, []byte(markSections(kindCredentials, tc.existingCreds, "prod")), 0o600)
			}
			if err := write(files, tc.profiles); err != nil {
				t.Fatal(err)
			}
			for path, name := range map[string]string{files.Config: tc.goldenConfig, files.Credentials: tc.goldenC} {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				goldentest.Check(t, name, b)
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
					t.Errorf("%s mode = %v, want 0600", name, fi.Mode().Perm())
				}
			}
		})
	}
}

func TestWriteRefusesAndWritesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		setup    func(t *testing.T, f Files)
		profiles []Profile
		wantErr  string
	}{
		{name: "bad_name", profiles: []Profile{{Name: "prod;rm", Credentials: creds("A")}}, wantErr: `invalid --profile: "prod;rm"`},
		{name: "twice", profiles: []Profile{{Name: "p", Credentials: creds("A")}, {Name: "p", Credentials: creds("B")}}, wantErr: "given twice"},
		{name: "config_is_symlink", profiles: []Profile{{Name: "p", Credentials: creds("A")}}, wantErr: "symbolic link",
			setup: func(t *testing.T, f Files) {
				if err := os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), f.Config); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "credentials_is_directory", profiles: []Profile{{Name: "p", Credentials: creds("A")}}, wantErr: "directory",
			setup: func(t *testing.T, f Files) { os.Mkdir(f.Credentials, 0o700) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
			if tc.setup != nil {
				tc.setup(t, files)
			}
			before := listDir(t, dir)
			err := write(files, tc.profiles)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "secret-") {
				t.Errorf("error holds a secret: %v", err)
			}
			if diff := cmp.Diff(before, listDir(t, dir)); diff != "" {
				t.Errorf("files changed after a failure (-before +after):\n%s", diff)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteConfigFailsAfterCredentials fails the second file of the pair:
// the first must be put back as it was.
func TestWriteConfigFailsAfterCredentials(t *testing.T) {
	t.Parallel()
	for _, existing := range []string{"", "[other]\naws_access_key_id = KEPT\n"} {
		t.Run("existing_"+map[bool]string{true: "file", false: "none"}[existing != ""], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := Files{Config: filepath.Join(dir, "missing", "config"), Credentials: filepath.Join(dir, "credentials")}
			if existing != "" {
				if err := os.WriteFile(files.Credentials, []byte(existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := write(files, []Profile{{Name: "p", Credentials: creds("A")}})
			if err == nil || !strings.Contains(err.Error(), "config file") {
				t.Fatalf("err = %v, want a failure to write the config file", err)
			}
			got, readErr := os.ReadFile(files.Credentials)
			if existing == "" {
				if !os.IsNotExist(readErr) {
					t.Errorf("credentials file left behind: %q", got)
				}
				return
			}
			if string(got) != existing {
				t.Errorf("credentials file = %q, want it back as %q", got, existing)
			}
		})
	}
}
