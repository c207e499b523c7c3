package output

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
)

// goneReader is a stdout whose reader has gone.
type goneReader struct{}

func (goneReader) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestSetAllOrNothing: whichever output fails last, the files written
// before it are put back as they were, nothing reaches stdout, and the log
// says what was put back; when every output is written, stdout comes last
// and each output's line is logged.
func TestSetAllOrNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		lastFails  bool
		stdout     io.Writer
		wantErr    string
		wantFiles  map[string]string
		wantStdout string
		wantLog    []string
	}{
		{name: "all_written", wantFiles: map[string]string{"a": "new a", "b": "new b"}, wantStdout: "mask\nexport X=1\n",
			wantLog: []string{"wrote a", "wrote b"}},
		{name: "last_file_fails", lastFails: true, wantErr: "failed to write c output: disk full",
			wantFiles: map[string]string{"a": "old a"}, wantLog: []string{"put back the a, b output(s) as they were: nothing of this run is left"}},
		{name: "stdout_fails", stdout: goneReader{},
			wantErr: "failed to write to stdout: broken pipe; every other output was put back as it was", wantFiles: map[string]string{"a": "old a"},
			wantLog: []string{"put back the a, b output(s) as they were: nothing of this run is left"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a"), []byte("old a"), 0o600); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key != slog.MessageKey {
					return slog.Attr{}
				}
				return a
			}}))
			set := NewSet(log)
			unlock, err := set.Lock(context.Background(), filepath.Join(dir, "a"), "")
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			set.Print([]byte("export X=1\n"))
			set.PrintFirst([]byte("mask\n"))
			for _, name := range []string{"a", "b"} {
				r := &atomicfile.Replacement{Path: filepath.Join(dir, name), Data: []byte("new " + name), Perm: 0o600}
				r.Old, r.Existed, _ = atomicfile.ReadExisting(r.Path, 1<<10)
				set.Add(Step{Format: name, Commit: r.Commit, Undo: func() { _ = r.Undo() }, Done: "wrote " + name})
			}
			if tc.lastFails {
				set.Add(Step{Format: "c", Commit: func() error { return errors.New("disk full") }, Undo: func() { t.Error("undid an output never written") }})
			}
			var out bytes.Buffer
			var w io.Writer = &out
			if tc.stdout != nil {
				w = tc.stdout
			}
			err = set.Commit(w)
			if got := errString(err); got != tc.wantErr {
				t.Errorf("Commit = %q, want %q", got, tc.wantErr)
			}
			files := map[string]string{}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				files[e.Name()] = string(b)
			}
			if diff := cmp.Diff(tc.wantFiles, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if out.String() != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", out.String(), tc.wantStdout)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
				lines = append(lines, strings.Trim(strings.TrimPrefix(l, "msg="), `"`))
			}
			if diff := cmp.Diff(tc.wantLog, lines); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestRender: the shell and PowerShell lines, the AWS_PROFILE removal and
// the credential_process document, in that order.
func TestRender(t *testing.T) {
	t.Parallel()
	vars := []Var{{Key: "AWS_REGION", Value: "eu-west-1"}}
	got, err := Render(Print{Shell: true, PowerShell: true, UnsetProfile: true}, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := "export AWS_REGION='eu-west-1'\nunset AWS_PROFILE\n$env:AWS_REGION = 'eu-west-1'\nRemove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Render (-want +got):\n%s", diff)
	}
	if got, err := Render(Print{Shell: true}, nil); err != nil || len(got) != 0 {
		t.Errorf("Render of no variables = %q, %v; want nothing", got, err)
	}
}
