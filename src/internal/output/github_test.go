package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

// githubRun is one fake GitHub Actions step: a log writer and the two
// command files the runner would provide.
type githubRun struct {
	dir        string
	envPath    string
	outputPath string
	env        map[string]string
}

func newGitHubRun(t *testing.T) *githubRun {
	t.Helper()
	dir := t.TempDir()
	r := &githubRun{
		dir:        dir,
		envPath:    filepath.Join(dir, "set_env_1"),
		outputPath: filepath.Join(dir, "set_output_1"),
	}
	// The runner creates both files, empty, before the step starts.
	for _, p := range []string{r.envPath, r.outputPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.env = map[string]string{"GITHUB_ENV": r.envPath, "GITHUB_OUTPUT": r.outputPath}
	return r
}

func (r *githubRun) action(w io.Writer) *githubactions.Action {
	return githubactions.New(
		githubactions.WithWriter(w),
		githubactions.WithGetenv(func(k string) string { return r.env[k] }),
	)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteGitHub_golden(t *testing.T) {
	t.Parallel()
	r := newGitHubRun(t)
	var log bytes.Buffer

	err := writeGitHub(r.action(&log), Variables("", fakeCredentials(), fakeSession()), GitHubOutputs(fakeCredentials(), fakeSession()))
	if err != nil {
		t.Fatalf("WriteGitHub: %v", err)
	}

	goldentest.Check(t, "github_log.golden", log.Bytes())
	goldentest.Check(t, "github_env.golden", []byte(readFile(t, r.envPath)))
	goldentest.Check(t, "github_output.golden", []byte(readFile(t, r.outputPath)))
}

// maskOrderWriter records, for every line the action logs, whether either
// command file already held anything at that moment.
type maskOrderWriter struct {
	files []string
	log   bytes.Buffer
	late  []string
}

func (w *maskOrderWriter) Write(p []byte) (int, error) {
	for _, f := range w.files {
		if info, err := os.Stat(f); err == nil && info.Size() > 0 {
			w.late = append(w.late, fmt.Sprintf("%q written after %s got %d bytes", p, filepath.Base(f), info.Size()))
		}
	}
	return w.log.Write(p)
}

func TestWriteGitHub_masks_before_anything_else(t *testing.T) {
	t.Parallel()
	r := newGitHubRun(t)
	w := &maskOrderWriter{files: []string{r.envPath, r.outputPath}}
	vars := append(Variables("", fakeCredentials(), fakeSession()), Variables("PROD_", fakeCredentials(), fakeSession())...)

	if err := writeGitHub(r.action(w), vars, GitHubOutputs(fakeCredentials(), fakeSession())); err != nil {
		t.Fatalf("WriteGitHub: %v", err)
	}

	if len(w.late) > 0 {
		t.Errorf("log lines written after values reached a file:\n%s", strings.Join(w.late, "\n"))
	}
	wantLog := "::add-mask::" + fakeKeyID + "\n" +
		"::add-mask::" + fakeSecret + "\n" +
		"::add-mask::" + fakeToken + "\n"
	if diff := cmp.Diff(wantLog, w.log.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestWriteGitHub_masks_output_only_secrets(t *testing.T) {
	t.Parallel()
	r := newGitHubRun(t)
	var log bytes.Buffer

	// No variables: the secrets reach the log's maskers through the outputs.
	if err := writeGitHub(r.action(&log), nil, GitHubOutputs(fakeCredentials(), fakeSession())); err != nil {
		t.Fatalf("WriteGitHub: %v", err)
	}
	for _, s := range []string{fakeKeyID, fakeSecret, fakeToken} {
		if !strings.Contains(log.String(), "::add-mask::"+s+"\n") {
			t.Errorf("log does not mask %s", redactForTest(s))
		}
	}
	if got := readFile(t, r.envPath); got != "" {
		t.Errorf("GITHUB_ENV = %q, want empty", got)
	}
}

// redactForTest keeps test failure messages free of the fake secrets too.
func redactForTest(s string) string {
	if len(s) < 8 {
		return "***"
	}
	return s[:4] + "…"
}

func TestWriteGitHub_refusals_write_nothing(t *testing.T) {
	t.Parallel()

	vars := func() []Var { return Variables("", fakeCredentials(), fakeSession()) }
	outputs := func() map[string]string { return GitHubOutputs(fakeCredentials(), fakeSession()) }
	injection := secretMarker + "\n" + githubDelimiter + "\nNODE_OPTIONS<<EOF\n--require /tmp/evil.js\nEOF"

	cases := []struct {
		name    string
		vars    []Var
		outputs map[string]string
		env     func(r *githubRun)
		wantVar bool // a *VarError, rather than an environment problem
	}{
		{
			name:    "heredoc_injection_in_secret",
			vars:    append(vars(), Var{Key: "EXTRA", Value: injection, Secret: true}),
			outputs: outputs(),
			wantVar: true,
		},
		{
			name:    "delimiter_without_newline",
			vars:    append(vars(), Var{Key: "EXTRA", Value: secretMarker + githubDelimiter, Secret: true}),
			outputs: outputs(),
			wantVar: true,
		},
		{
			name:    "carriage_return",
			vars:    append(vars(), Var{Key: "EXTRA", Value: secretMarker + "\rX", Secret: true}),
			outputs: outputs(),
			wantVar: true,
		},
		{
			name:    "nul",
			vars:    append(vars(), Var{Key: "EXTRA", Value: secretMarker + "\x00", Secret: true}),
			outputs: outputs(),
			wantVar: true,
		},
		{
			name:    "injection_in_output",
			vars:    vars(),
			outputs: map[string]string{OutputSessionToken: injection},
			wantVar: true,
		},
		{
			name:    "key_with_heredoc",
			vars:    []Var{{Key: "A<<" + githubDelimiter, Value: "x"}},
			wantVar: true,
		},
		{
			name:    "key_holding_delimiter",
			vars:    []Var{{Key: "X" + githubDelimiter, Value: "x"}},
			wantVar: true,
		},
		{
			name:    "output_name_holding_delimiter",
			vars:    vars(),
			outputs: map[string]string{"x" + githubDelimiter: "x"},
			wantVar: true,
		},
		{
			name:    "key_with_newline",
			vars:    []Var{{Key: "A\nB", Value: "x"}},
			wantVar: true,
		},
		{
			name:    "invalid_prefix",
			vars:    Variables("PROD-", fakeCredentials(), fakeSession()),
			wantVar: true,
		},
		{
			name:    "output_name_with_newline",
			vars:    vars(),
			outputs: map[string]string{"a\nb": "x"},
			wantVar: true,
		},
		{
			name:    "output_name_leading_digit",
			vars:    vars(),
			outputs: map[string]string{"1abc": "x"},
			wantVar: true,
		},
		{
			name:    "github_env_unset",
			vars:    vars(),
			outputs: outputs(),
			env:     func(r *githubRun) { delete(r.env, "GITHUB_ENV") },
		},
		{
			name:    "github_output_unset",
			vars:    vars(),
			outputs: outputs(),
			env:     func(r *githubRun) { delete(r.env, "GITHUB_OUTPUT") },
		},
		{
			name:    "github_env_is_directory",
			vars:    vars(),
			outputs: outputs(),
			env:     func(r *githubRun) { r.env["GITHUB_ENV"] = r.dir },
		},
		{
			name:    "github_output_in_missing_directory",
			vars:    vars(),
			outputs: outputs(),
			env:     func(r *githubRun) { r.env["GITHUB_OUTPUT"] = filepath.Join(r.dir, "missing", "out") },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newGitHubRun(t)
			if tc.env != nil {
				tc.env(r)
			}
			before := snapshot(t, r.dir)
			var log bytes.Buffer

			err := writeGitHub(r.action(&log), tc.vars, tc.outputs)

			if err == nil {
				t.Fatal("WriteGitHub accepted the input")
			}
			var ve *VarError
			if diff := cmp.Diff(tc.wantVar, errors.As(err, &ve)); diff != "" {
				t.Errorf("error %v is a *VarError (-want +got):\n%s", err, diff)
			}
			if log.Len() != 0 {
				t.Errorf("log got %d bytes before the refusal", log.Len())
			}
			if diff := cmp.Diff(before, snapshot(t, r.dir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestWriteGitHub_missing_env_is_typed(t *testing.T) {
	t.Parallel()
	r := newGitHubRun(t)
	delete(r.env, "GITHUB_ENV")

	err := writeGitHub(r.action(io.Discard), Variables("", fakeCredentials(), fakeSession()), nil)

	var refused *atomicfile.RefusedError
	if !errors.As(err, &refused) || refused.Reason != atomicfile.ReasonEmpty {
		t.Fatalf("error = %v, want a refusal of the unset variable", err)
	}
	if !strings.Contains(err.Error(), "GITHUB_ENV") {
		t.Errorf("error %q does not name GITHUB_ENV", err)
	}
}

// secretEchoWriter fails with an error whose text holds what it was asked
// to write, the worst case for a library panic.
type secretEchoWriter struct{}

func (secretEchoWriter) Write(p []byte) (int, error) {
	return 0, fmt.Errorf("cannot write %q", p)
}

func TestWriteGitHub_library_panic_becomes_error(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		w    io.Writer
	}{
		{name: "broken_log", w: failingWriter{}},
		{name: "error_repeats_secret", w: secretEchoWriter{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newGitHubRun(t)
			before := snapshot(t, r.dir)
			vars := append(Variables("", fakeCredentials(), fakeSession()), Var{Key: "S", Value: secretMarker, Secret: true})

			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("WriteGitHub panicked: %v", redactForTest(fmt.Sprint(p)))
					}
				}()
				err = writeGitHub(r.action(tc.w), vars, GitHubOutputs(fakeCredentials(), fakeSession()))
			}()

			if err == nil {
				t.Fatal("WriteGitHub ignored the failing log")
			}
			assertNoSecret(t, "error", err.Error())
			if strings.Contains(err.Error(), fakeKeyID) {
				t.Errorf("error holds the whole access key id: %q", err)
			}
			// Masks come first, so a log that cannot take them stops the
			// step before any value reaches a file.
			if diff := cmp.Diff(before, snapshot(t, r.dir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestWriteGitHub_nil_action(t *testing.T) {
	t.Parallel()
	if err := writeGitHub(nil, nil, nil); err == nil {
		t.Fatal("WriteGitHub accepted a nil action")
	}
}

func TestGitHubOutputs(t *testing.T) {
	t.Parallel()

	s := fakeSession()
	s.RoleARN = ""
	s.AccountID = ""

	got := GitHubOutputs(fakeCredentials(), s)
	want := map[string]string{
		OutputRoleARN:              s.AssumedRoleARN,
		OutputAccessKeyID:          fakeKeyID,
		OutputSecretAccessKey:      fakeSecret,
		OutputSessionToken:         fakeToken,
		OutputRegion:               "eu-west-1",
		OutputCredentialExpiration: "2026-11-26T08:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GitHubOutputs (-want +got):\n%s", diff)
	}
}

// TestPrepareGitHubUndo: a later output that fails puts GITHUB_ENV and
// GITHUB_OUTPUT back to what they held, and removes one the step made.
func TestPrepareGitHubUndo(t *testing.T) {
	t.Parallel()
	r := newGitHubRun(t)
	if err := os.WriteFile(r.envPath, []byte("EARLIER=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(r.outputPath); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return r.env[k] }
	p, err := PrepareGitHub(getenv, Variables("", fakeCredentials(), fakeSession()), GitHubOutputs(fakeCredentials(), fakeSession()))
	if err != nil {
		t.Fatal(err)
	}
	masks, err := p.Masks()
	if err != nil || !strings.Contains(string(masks), "::add-mask::") {
		t.Fatalf("masks %q, %v", masks, err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, r.envPath); !strings.Contains(got, "AWS_ACCESS_KEY_ID") {
		t.Fatalf("GITHUB_ENV holds %q after Commit", got)
	}
	p.Undo()
	if got := readFile(t, r.envPath); got != "EARLIER=1\n" {
		t.Errorf("GITHUB_ENV holds %q after Undo", got)
	}
	if _, err := os.Stat(r.outputPath); !os.IsNotExist(err) {
		t.Errorf("GITHUB_OUTPUT still there after Undo: %v", err)
	}
}
