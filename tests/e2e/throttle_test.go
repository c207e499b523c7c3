package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// throttledJobs is how many jobs TestManyJobsThrottled starts at once: eight
// seconds of the front's rate, a small version of issue 13's 100 jobs
// (`make bench-load` runs those, and measures them). Main before issue 13
// failed about a quarter of them with exit 5, and logged every attempt.
const throttledJobs = 40

// TestManyJobsThrottled starts jobs together, each its own aws-oidc process
// with its own token and folder and default flags, against SeaweedFS
// behind a front that shares 5 requests per second (burst 2) among them and
// throttles the rest as STS does. Every job must get credentials, each
// folder must hold one complete report and nothing else, each job exactly
// one successful STS request, and each job log a few warning lines, not one
// per attempt. It checks outcomes, not speed: the figures are in
// BENCHMARKS.md.
func TestManyJobsThrottled(t *testing.T) {
	t.Parallel()
	manyJobsThrottled(t, 23, throttledJobs, nil)
}

// TestManyJobsThrottledVerify is TestManyJobsThrottled with --verify: the
// GetCallerIdentity of each job meets the same busy front right after the
// exchange, and must be waited out like it, not fail the job after its
// credentials were issued (as 24 of 40 did before).
func TestManyJobsThrottledVerify(t *testing.T) {
	t.Parallel()
	manyJobsThrottled(t, 24, 25, nil, "--verify")
}

// TestManyJobsBusy503 is TestManyJobsThrottled with a front that answers
// 503 ServiceUnavailable with Retry-After, as AWS does under load: before
// issue 13's second round most jobs used up --max-attempts in seconds.
func TestManyJobsBusy503(t *testing.T) {
	t.Parallel()
	manyJobsThrottled(t, 25, 25, []string{"-busy", "503", "-retry-after", "1"})
}

// manyJobsThrottled runs the test on bed n (its network namespace).
func manyJobsThrottled(t *testing.T, n, jobs int, frontArgs []string, extra ...string) {
	leaks := harness.NewLeaks(t, nil)
	b := StartSeaweedFS(t, leaks, bin, n)
	front := StartThrottleFront(t, leaks, b, 5, 2, frontArgs...)
	var cmds []Command
	var dirs []string
	for i := range jobs {
		dir := t.TempDir()
		dirs = append(dirs, dir)
		token := b.Mint(t, leaks, fakegitlab.Options{})
		env := Env(JobEnv(t.TempDir(), token), "CI_JOB_ID", fmt.Sprint(3000+i))
		cmds = append(cmds, Command{Name: fmt.Sprintf("aws-oidc job %d", i), Path: b.Bin.AWSOIDC, NetNS: b.NetNS, Dir: dir, Env: env,
			Args: append([]string{"assume", "--role-arn", b.Roles.Deploy, "--sts-endpoint", front.URL}, extra...)})
	}
	g := RunTogether(t, leaks, cmds, 3*time.Minute)
	counts := front.Stop(t, leaks)
	t.Logf("%d jobs, last done after %s; front: %s", jobs, g.Last().Round(time.Millisecond), counts)

	for i, r := range g.Results {
		if r.ExitCode != 0 {
			t.Errorf("job %d exited %d:\n%s", i, r.ExitCode, leaks.Redact(lastLog(r.Stderr, 3)))
		}
		if got := JobFolder(leaks, dirs[i], "aws.env"); got != "dotenv" {
			t.Errorf("job %d left %s, want one complete aws.env", i, got)
		}
		// One warning for the first failure, then at most one per 10s.
		warnings := strings.Count(r.Stderr, "warning: ")
		if limit := 2 + int(r.Duration/(10*time.Second)); warnings > limit {
			t.Errorf("job %d logged %d warnings in %s, want at most %d:\n%s", i, warnings, r.Duration.Round(time.Second), limit, leaks.Redact(r.Stderr))
		}
		if strings.Contains(r.Stderr, "debug: ") {
			t.Errorf("job %d logged debug lines without --debug", i)
		}
	}
	web := counts["AssumeRoleWithWebIdentity"]
	if web.Forwarded != jobs {
		t.Errorf("the peer got %d AssumeRoleWithWebIdentity requests, want one per job (%d)", web.Forwarded, jobs)
	}
	if web.Throttled == 0 {
		t.Errorf("the front throttled nothing: the jobs did not contend, so the test proved nothing")
	}
	want := 1
	if slices.Contains(extra, "--verify") {
		want = 2
		if id := counts["GetCallerIdentity"]; id.Forwarded != jobs {
			t.Errorf("the peer got %d GetCallerIdentity requests, want one per job (%d)", id.Forwarded, jobs)
		}
	}
	if len(counts) != want {
		t.Errorf("the front saw other requests than the run's: %s", counts)
	}
}
