package cli

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

func TestAssumeCABundle(t *testing.T) {
	t.Parallel()
	srv := ststest.NewTLS(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantHint string
	}{
		{name: "untrusted_endpoint", wantCode: ExitConfig, wantHint: "--ca-bundle or $AWS_CA_BUNDLE"},
		{name: "bundle_flag", args: []string{"--ca-bundle", bundle}, wantCode: ExitOK},
		{name: "bundle_variable", env: map[string]string{"AWS_CA_BUNDLE": bundle}, wantCode: ExitOK},
		{name: "bundle_not_pem", args: []string{"--ca-bundle", notPEM}, wantCode: ExitConfig, wantHint: "aws-oidc assume --help"},
		{name: "bundle_missing", args: []string{"--ca-bundle", filepath.Join(dir, "nope.pem")}, wantCode: ExitConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := gitlabEnv(t, nil)
			for k, v := range tc.env {
				env[k] = v
			}
			r := run(t, env, append([]string{"assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "-o", "json"}, tc.args...)...)
			if r.code != tc.wantCode {
				t.Errorf("exit = %d, want %d", r.code, tc.wantCode)
			}
			if !strings.Contains(r.stderr, tc.wantHint) {
				t.Errorf("stderr lacks %q", tc.wantHint)
			}
			assertNoSecrets(t, r.stderr, env)
			if tc.wantCode != ExitOK && r.stdout != "" {
				t.Errorf("stdout after a failure: %q", r.stdout)
			}
		})
	}
}

func TestAssumeCanceled(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t, ststest.Answer{Delay: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	env := gitlabEnv(t, nil)
	dotenv := filepath.Join(t.TempDir(), "aws.env")
	var stdout, stderr strings.Builder
	code := Run(ctx, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }},
		[]string{"aws-oidc", "assume", "--role-arn", roleARN, "--sts-endpoint", srv.URL, "--dotenv-file", dotenv})
	if code != ExitFailure {
		t.Errorf("exit = %d, want %d", code, ExitFailure)
	}
	if !strings.Contains(stderr.String(), "stopped by a signal") {
		t.Errorf("stderr lacks the signal hint:\n%s", stderr.String())
	}
	if _, err := os.Stat(dotenv); !os.IsNotExist(err) {
		t.Error("a canceled run wrote the dotenv file")
	}
}
