package token_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

func getenv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

func TestEnvSource(t *testing.T) {
	t.Parallel()
	names := []string{"AWS_OIDC_TOKEN", "GITLAB_OIDC_TOKEN"}
	cases := []struct {
		name     string
		env      map[string]string
		wantName string
		want     string
		wantErr  error
	}{
		{name: "first_name", env: map[string]string{"AWS_OIDC_TOKEN": "a", "GITLAB_OIDC_TOKEN": "b"}, wantName: "AWS_OIDC_TOKEN", want: "a"},
		{name: "second_name", env: map[string]string{"GITLAB_OIDC_TOKEN": "b"}, wantName: "GITLAB_OIDC_TOKEN", want: "b"},
		{name: "empty_is_unset", env: map[string]string{"AWS_OIDC_TOKEN": "", "GITLAB_OIDC_TOKEN": "b"}, wantName: "GITLAB_OIDC_TOKEN", want: "b"},
		{name: "none_set", env: map[string]string{"CI_JOB_JWT": "old"}, wantErr: &token.MissingError{Names: names}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := token.EnvSource{Names: names, Getenv: getenv(tc.env)}
			name, got, err := src.Lookup()
			if diff := cmp.Diff(tc.wantErr, err); diff != "" {
				t.Errorf("Lookup() error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tc.wantName, tc.want}, []string{name, got}); diff != "" {
				t.Errorf("Lookup() mismatch (-want +got):\n%s", diff)
			}
			got, err = src.Token(context.Background())
			if diff := cmp.Diff(tc.wantErr, err); diff != "" {
				t.Errorf("Token() error mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("Token() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEnvSource_without_getenv(t *testing.T) {
	t.Parallel()
	_, err := token.EnvSource{Names: []string{"X"}}.Token(context.Background())
	if err == nil {
		t.Fatal("Token() without Getenv = nil error")
	}
}

func TestEnvSource_does_not_keep_the_caller_slice(t *testing.T) {
	t.Parallel()
	names := []string{"A"}
	_, err := token.EnvSource{Names: names, Getenv: getenv(nil)}.Token(context.Background())
	names[0] = "changed"
	var missing *token.MissingError
	if !errors.As(err, &missing) || missing.Names[0] != "A" {
		t.Errorf("Token() error = %v, want *token.MissingError naming A", err)
	}
}

func TestFileSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := tokentest.Mint(t, nil)
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	withNewline := write("token", tok+"\n")
	empty := write("empty", "")
	huge := write("huge", strings.Repeat("A", token.MaxSize+3))
	maxWithCRLF := write("max", strings.Repeat("A", token.MaxSize)+"\r\n")
	missing := filepath.Join(dir, "missing")

	cases := []struct {
		name    string
		path    string
		want    string
		wantErr error
		// wantErrText is for errors that are not typed.
		wantErrText string
	}{
		{name: "token_with_newline", path: withNewline, want: tok + "\n"},
		{name: "max_size_with_crlf", path: maxWithCRLF, want: strings.Repeat("A", token.MaxSize) + "\r\n"},
		{name: "missing", path: missing, wantErr: &token.MissingError{Path: missing}},
		{name: "empty", path: empty, wantErr: &token.MissingError{Path: empty, Empty: true}},
		{name: "no_path", path: "", wantErr: &token.MissingError{}},
		{name: "too_big", path: huge, wantErr: &token.MalformedError{Reason: `token file "` + huge + `" is larger than 20002 bytes, more than a token STS accepts`}},
		{name: "directory", path: dir, wantErrText: "token file \"" + dir + "\": it is a directory; give the path of a regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := token.FileSource{Path: tc.path}.Token(context.Background())
			if tc.wantErrText != "" {
				if err == nil || err.Error() != tc.wantErrText {
					t.Errorf("Token() error = %v, want %q", err, tc.wantErrText)
				}
			} else if diff := cmp.Diff(tc.wantErr, err); diff != "" {
				t.Errorf("Token() error mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("Token() = %d characters, want %d", len(got), len(tc.want))
			}
			if err != nil {
				assertNoLeak(t, err.Error(), tok)
			}
		})
	}
}

func TestFileSource_rereads_a_refreshed_file(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	src := token.FileSource{Path: path}
	for _, content := range []string{"first.token.x", "second.token.y"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := src.Token(context.Background())
		if err != nil || got != content {
			t.Errorf("Token() = %q, %v; want %q", got, err, content)
		}
	}
}

func TestGitHubSource(t *testing.T) {
	t.Parallel()
	endpoint := tokentest.NewGitHubEndpoint(t, nil)

	src := token.NewGitHubSource(getenv(endpoint.Env()), endpoint.Server.Client(), "sts.amazonaws.com")
	raw, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	tok := mustParse(t, raw)
	if diff := cmp.Diff([]string{"sts.amazonaws.com"}, tok.Claims.Audience); diff != "" {
		t.Errorf("Audience mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sts.amazonaws.com"}, endpoint.Audiences()); diff != "" {
		t.Errorf("requested audiences mismatch (-want +got):\n%s", diff)
	}
	if !tok.Claims.IsGitHub() {
		t.Errorf("IsGitHub() = false")
	}
}

func TestGitHubSource_errors(t *testing.T) {
	t.Parallel()
	leaked := tokentest.Mint(t, nil, tokentest.WithGitHub())
	serve := func(status int, body string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	endpoint := tokentest.NewGitHubEndpoint(t, nil)
	badToken := endpoint.Env()
	badToken["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong"
	noToken := endpoint.Env()
	delete(noToken, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	envFor := func(srv *httptest.Server) map[string]string {
		return map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/idtoken", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x"}
	}
	long := strings.Repeat("é", 300)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)

	cases := []struct {
		name        string
		env         map[string]string
		ctx         context.Context
		client      *http.Client
		wantErr     error
		wantErrText string
	}{
		{
			name:    "no_id_token_permission",
			env:     map[string]string{"GITHUB_ACTIONS": "true"},
			wantErr: &token.MissingError{Names: []string{"ACTIONS_ID_TOKEN_REQUEST_URL"}, GitHub: true},
		},
		{
			name:    "no_request_token",
			env:     noToken,
			wantErr: &token.MissingError{Names: []string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN"}, GitHub: true},
		},
		{
			name:    "wrong_request_token",
			env:     badToken,
			wantErr: &token.RequestError{StatusCode: 401, Body: `{"message":"Bad credentials"}`},
		},
		{
			name:    "server_error_echoing_a_token",
			env:     envFor(serve(500, "oops\n\n"+leaked+"\t trailing")),
			wantErr: &token.RequestError{StatusCode: 500, Body: "oops [redacted] trailing"},
		},
		{
			name:    "long_error_body_is_cut",
			env:     envFor(serve(403, long)),
			wantErr: &token.RequestError{StatusCode: 403, Body: strings.Repeat("é", 100) + "…"},
		},
		{
			name:        "empty_value",
			env:         envFor(serve(200, `{"value":""}`)),
			wantErrText: "github actions id token endpoint answered without a token",
		},
		{
			name:        "not_json",
			env:         envFor(serve(200, `<html>`)),
			wantErrText: "failed to request github actions id token: failed to process response as JSON: invalid character '<' looking for beginning of value",
		},
		{
			name:        "canceled",
			env:         envFor(hang),
			ctx:         canceled,
			wantErrText: "context canceled",
		},
		{
			name:        "client_timeout",
			env:         envFor(hang),
			client:      &http.Client{Timeout: 50 * time.Millisecond},
			wantErrText: "Client.Timeout exceeded",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			got, err := token.NewGitHubSource(getenv(tc.env), tc.client, "sts.amazonaws.com").Token(ctx)
			if got != "" {
				t.Errorf("Token() = %d characters, want none", len(got))
			}
			if err == nil {
				t.Fatal("Token() error = nil")
			}
			if tc.wantErrText != "" {
				if !strings.Contains(err.Error(), tc.wantErrText) {
					t.Errorf("Token() error = %q, want it to contain %q", err, tc.wantErrText)
				}
			} else if diff := cmp.Diff(tc.wantErr, err); diff != "" {
				t.Errorf("Token() error mismatch (-want +got):\n%s", diff)
			}
			assertNoLeak(t, err.Error(), leaked)
			if strings.Contains(err.Error(), endpoint.RequestToken) {
				t.Errorf("Token() error shows the request token: %v", err)
			}
		})
	}
}

func TestGitHubSource_without_action(t *testing.T) {
	t.Parallel()
	if _, err := (token.GitHubSource{}).Token(context.Background()); err == nil {
		t.Error("Token() without Action = nil error")
	}
}

func TestSources_describe_themselves(t *testing.T) {
	t.Parallel()
	got := []string{
		token.EnvSource{Names: []string{"AWS_OIDC_TOKEN", "GITLAB_OIDC_TOKEN"}}.String(),
		token.FileSource{Path: "/run/token"}.String(),
		token.GitHubSource{Audience: "sts.amazonaws.com"}.String(),
	}
	want := []string{
		"environment variable AWS_OIDC_TOKEN or GITLAB_OIDC_TOKEN",
		`file "/run/token"`,
		`github actions id token (audience "sts.amazonaws.com")`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String() mismatch (-want +got):\n%s", diff)
	}
	var _ token.Source = token.EnvSource{}
	var _ token.Source = token.FileSource{}
	var _ token.Source = token.GitHubSource{}
}
