package output

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
)

// TestCleanIndependentParts: a part refused (someone else's token file)
// keeps neither the dotenv variables nor the profile from being removed,
// and is the one failure returned; the files aws-oidc made go, and with
// them a default folder left empty.
func TestCleanIndependentParts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	defaults := filepath.Join(dir, ".aws-oidc")
	if err := os.Mkdir(defaults, 0o700); err != nil {
		t.Fatal(err)
	}
	c := Cleanup{
		DotenvFile: filepath.Join(defaults, "aws.env"),
		Prefixes:   []string{"", "PROD_"},
		Token:      true,
		TokenFile:  filepath.Join(dir, "notes"),
		AWSFiles:   awsconfig.Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")},
		Profiles:   []string{"ci"},
	}
	c.Defaults = []string{c.DotenvFile}
	files := map[string]string{
		c.DotenvFile:               "AWS_ACCESS_KEY_ID=ASIAX\nAWS_SECRET_ACCESS_KEY=s\nAWS_SESSION_TOKEN=t\nAWS_REGION=us-east-1\n",
		c.TokenFile:                "my notes\n",
		c.AWSFiles.Config:          "[profile other]\nregion = x\n[profile ci]\n" + awsconfig.Marker + "\nregion = us-east-1\n",
		c.AWSFiles.Credentials:     "[ci]\n" + awsconfig.Marker + "\naws_access_key_id = ASIAX\n",
		filepath.Join(dir, "kept"): "x",
	}
	for p, content := range files {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	failed := Clean(context.Background(), log, c)
	if len(failed) != 1 || failed[0].What != "the token file "+c.TokenFile || !errors.Is(failed[0].Err, ErrNotOurTokenFile) {
		t.Fatalf("failed = %+v, want the token file refused", failed)
	}
	for _, want := range []string{
		"deleted " + c.DotenvFile + " (its 4 variables were aws-oidc's)",
		"removed profiles ci from",
	} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logged.String())
		}
	}
	got := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		got[e.Name()] = string(b)
	}
	want := map[string]string{"notes": "my notes\n", "config": "[profile other]\nregion = x\n", "kept": "x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after cleanup (-want +got):\n%s", diff)
	}
}

// TestCleanNothing: nothing there is nothing to remove, and not an error.
func TestCleanNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logged bytes.Buffer
	failed := Clean(context.Background(), slog.New(slog.NewTextHandler(&logged, nil)), Cleanup{
		DotenvFile: filepath.Join(dir, "aws.env"), Prefixes: []string{""},
		Token: true, TokenFile: filepath.Join(dir, "token"),
	})
	if len(failed) != 0 || !strings.Contains(logged.String(), "nothing to remove") {
		t.Errorf("failed %v, log %q", failed, logged.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files made: %v", entries)
	}
}
