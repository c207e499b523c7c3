package cli

import (
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// throttledForever is a script longer than any of these runs asks.
func throttledForever(code string) []ststest.Answer {
	var script []ststest.Answer
	for range 200 {
		script = append(script, ststest.Fail(400, code, "Rate exceeded"))
	}
	return script
}

// TestBusyTokenExpires: with STS throttling and a token about to expire,
// the run stops before the token does (a few seconds of real waits), exits 3 (a token problem), and the
// hint says the job's token lifetime ran out, not to raise --timeout.
func TestBusyTokenExpires(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t, throttledForever("Throttling")...)
	env := gitlabEnv(t, nil, tokentest.WithLifetime(exchange.TokenMargin+3*time.Second))
	env["AWS_ENDPOINT_URL_STS"] = srv.URL
	r := run(t, env, "assume", "--role-arn", roleARN, "--region", "us-east-1", "--timeout", "2m")
	if r.code != ExitToken {
		t.Fatalf("exit %d, want %d", r.code, ExitToken)
	}
	for _, want := range []string{"the ID token expires before another attempt", "hint: STS was busy (Throttling) until the job's ID token was about to expire", "job's timeout"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if strings.Contains(r.stderr, "--timeout") || strings.Contains(r.stderr, "deadline reached") {
		t.Errorf("the hint blames the deadline")
	}
	assertNoSecrets(t, r.stdout+r.stderr, env)
}

// TestBusyHints: what a run says when a busy STS outlasts the deadline, by
// the kind of busy answer and the STS call, in the CLI and in the
// component, whose job has no --timeout flag.
func TestBusyHints(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		code      string
		component bool
		verify    bool
		want      []string
		never     []string
	}{
		{name: "throttling", code: "Throttling", want: []string{"hint: STS was busy (Throttling) until the deadline", "Raise --timeout"}},
		{name: "throttling_component", code: "Throttling", component: true,
			want: []string{"hint: STS was busy (Throttling) until the deadline", "Raise the CI/CD variable AWS_OIDC_TIMEOUT"}, never: []string{"--timeout"}},
		{name: "idp_communication", code: "IDPCommunicationError",
			want:  []string{"AWS could not fetch the issuer's signing keys in time (IDPCommunicationError)", "reachable from the internet"},
			never: []string{"shares one STS request rate"}},
		// Only GetCallerIdentity is throttled (a by-action script): the
		// hint is the same, never "raise --attempt-timeout".
		{name: "verify_throttled", code: "Throttling", verify: true,
			want: []string{"sts GetCallerIdentity failed", "hint: STS was busy (Throttling) until the deadline"}, never: []string{"--attempt-timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var srv *ststest.Server
			if tc.verify {
				srv = ststest.New(t)
				srv.FailAction("GetCallerIdentity", ststest.Fail(400, tc.code, "Rate exceeded"))
			} else {
				srv = ststest.New(t, throttledForever(tc.code)...)
			}
			var env map[string]string
			args := []string{"assume"}
			if tc.component {
				env = componentJobEnv(t, map[string]string{"AWS_OIDC_TIMEOUT": "1s"})
			} else {
				env = gitlabEnv(t, nil)
				args = append(args, "--role-arn", roleARN, "--region", "us-east-1", "--timeout", "1s")
				if tc.verify {
					args = append(args, "--verify")
				}
			}
			env["AWS_ENDPOINT_URL_STS"] = srv.URL
			r := run(t, env, args...)
			if r.code != ExitTransient {
				t.Fatalf("exit %d, want %d", r.code, ExitTransient)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(r.stderr, n) {
					t.Errorf("stderr says %q", n)
				}
			}
		})
	}
}

// TestBusyHopHint: a chained hop that STS kept busy until the deadline gets
// the busy hint, not "raise --max-attempts", which busy answers ignore.
func TestBusyHopHint(t *testing.T) {
	t.Parallel()
	err := &exchange.HopError{Hop: 1,
		Err: &exchange.Error{Op: "AssumeRole", Code: "Throttling", Class: exchange.Transient, Attempts: 9, DeadlineHit: true, Busy: true}}
	h := Hint(err)
	if !strings.Contains(h, "STS was busy (Throttling) until the deadline") || strings.Contains(h, "--max-attempts") {
		t.Errorf("hint = %q", h)
	}
	if code := ExitCode(err); code != ExitTransient {
		t.Errorf("exit %d, want %d", code, ExitTransient)
	}
}
