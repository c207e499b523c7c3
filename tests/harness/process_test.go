package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Process
		want Result
	}{
		{
			name: "exact_environment",
			p:    Process{Path: "/bin/sh", Args: []string{"-c", `env | sort; echo oops >&2; exit 3`}, Env: map[string]string{"A": "1", "B": "2"}},
			want: Result{Code: 3, Stdout: "A=1\nB=2\nPWD=/\n", Stderr: "oops\n"},
		},
		{
			name: "wrapped",
			p:    Process{Wrap: []string{"/bin/sh", "-c", `exec "$0" "$@" 2>&-`}, Path: "/bin/echo", Args: []string{"hi"}},
			want: Result{Stdout: "hi\n"},
		},
		{
			name: "killed_after_its_timeout",
			p:    Process{Path: "/bin/sleep", Args: []string{"60"}, Timeout: 100 * time.Millisecond},
			want: Result{Code: -1, Signaled: true, TimedOut: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.p.Dir = "/"
			if diff := cmp.Diff(tc.want, Run(t, tc.p)); diff != "" {
				t.Errorf("Run (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeNeverShowsStdout(t *testing.T) {
	t.Parallel()
	r := Result{Code: 4, Stdout: "AWS_SECRET_ACCESS_KEY=s3cr3t\n", Stderr: "error: refused s3cr3t\n"}
	got := r.Describe(func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "[SECRET]") })
	if strings.Contains(got, "s3cr3t") || !strings.Contains(got, "exit 4") || !strings.Contains(got, "29 bytes") || !strings.Contains(got, "refused [SECRET]") {
		t.Errorf("Describe = %q", got)
	}
}

func TestAssertNoSecret(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{"secret key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "short": "abc"}
	for _, tc := range []struct {
		name   string
		text   string
		leaked bool
	}{
		{name: "clean", text: "assumed role deploy abc"},
		{name: "raw", text: "key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", leaked: true},
		{name: "query_escaped", text: "k=wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY", leaked: true},
	} {
		r := &recorder{TB: t}
		clean := AssertNoSecret(r, map[string]string{"stderr": tc.text}, secrets)
		if clean == tc.leaked || (len(r.errors) > 0) != tc.leaked {
			t.Errorf("%s: clean = %v with %d errors, want leaked = %v", tc.name, clean, len(r.errors), tc.leaked)
		}
	}
}
