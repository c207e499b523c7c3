package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
	"gitlab.com/aws-oidc/aws-oidc/tests/throttle"
)

// Many jobs at once against a throttled STS (issue 13): a throttling front
// (tests/throttle) before a bed's peer, and processes started together.

// ThrottleFront is a running tests/throttle front in a bed's namespace.
type ThrottleFront struct {
	// URL is the front's endpoint, reachable inside the bed's namespace.
	URL     string
	server  *Server
	counts  string
	secrets string
}

// StartThrottleFront puts a front before the bed's STS that holds every
// caller to rate requests per second with the given burst. extra are more
// of the front's flags (-busy 503, -retry-after 3).
func StartThrottleFront(t testing.TB, leaks *harness.Leaks, b *Bed, rate float64, burst int, extra ...string) *ThrottleFront {
	t.Helper()
	dir := t.TempDir()
	f := &ThrottleFront{counts: filepath.Join(dir, "counts.json"), secrets: filepath.Join(dir, "secrets")}
	addrFile := filepath.Join(dir, "addr")
	f.server = Start(t, leaks, Command{Name: "throttle-front", Path: b.Bin.Program(t, "./tests/throttle/cmd/throttle-front"), NetNS: b.NetNS, Env: BaseEnv(dir), Dir: dir,
		Args: append([]string{"-upstream", b.STS, "-rate", fmt.Sprint(rate), "-burst", fmt.Sprint(burst),
			"-addr-file", addrFile, "-counts-file", f.counts, "-secrets-file", f.secrets}, extra...)})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if addr, err := os.ReadFile(addrFile); err == nil {
			f.URL = "http://" + string(addr)
			return f
		}
		if f.server.Exited() || time.Now().After(deadline) {
			t.Fatalf("the throttle front did not start:\n%s", f.server.Log())
		}
	}
}

// Stop stops the front, registers every credential it forwarded as a
// secret, and returns its counts by action.
func (f *ThrottleFront) Stop(t testing.TB, leaks *harness.Leaks) throttle.Counts {
	t.Helper()
	f.server.Stop()
	data, _ := os.ReadFile(f.secrets)
	for _, s := range strings.Fields(string(data)) {
		leaks.Secret("credential forwarded by the throttle front", s)
	}
	data, err := os.ReadFile(f.counts)
	if err != nil {
		t.Fatalf("the throttle front wrote no counts: %v\n%s", err, lastLog(f.server.Log(), 5))
	}
	var c throttle.Counts
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("the throttle front's counts: %v", err)
	}
	return c
}

func lastLog(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Together is what processes started at once did.
type Together struct {
	Results []Result
	// Started and Ended are each process's start and end, counted from
	// the first start.
	Started, Ended []time.Duration
}

// Last is when the last process ended, counted from the first start.
func (g Together) Last() time.Duration { return slices.Max(g.Ended) }

// RunTogether starts every command as fast as it can, one right after the
// other, and waits for all of them (each at most limit). Their outputs go
// to the leak scan like Run's.
func RunTogether(t testing.TB, leaks *harness.Leaks, cmds []Command, limit time.Duration) Together {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	n := len(cmds)
	g := Together{Results: make([]Result, n), Started: make([]time.Duration, n), Ended: make([]time.Duration, n)}
	procs := make([]*exec.Cmd, n)
	outs := make([][2]*bytes.Buffer, n)
	for i, c := range cmds {
		procs[i] = c.cmd(ctx)
		outs[i] = [2]*bytes.Buffer{{}, {}}
		procs[i].Stdout, procs[i].Stderr = outs[i][0], outs[i][1]
	}
	first := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, p := range procs {
		g.Started[i] = time.Since(first)
		if err := p.Start(); err != nil {
			errs[i] = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.Wait()
			g.Ended[i] = time.Since(first)
			var exit *exec.ExitError
			switch {
			case errors.As(err, &exit):
				g.Results[i].ExitCode = exit.ExitCode()
			case err != nil:
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	for i, c := range cmds {
		if errs[i] != nil {
			t.Fatalf("failed to run %s: %v", c.Name, errs[i])
		}
		r := &g.Results[i]
		r.Stdout, r.Stderr, r.Duration = outs[i][0].String(), outs[i][1].String(), g.Ended[i]-g.Started[i]
		if !c.StdoutHoldsSecrets {
			leaks.Output(c.Name+" stdout", r.Stdout)
		}
		leaks.Output(c.Name+" stderr", r.Stderr)
	}
	if ctx.Err() != nil {
		t.Fatalf("the processes did not all end within %s", limit)
	}
	return g
}

// CredentialKeys are the variables a dotenv report of one role holds.
var CredentialKeys = []string{"AWS_ACCESS_KEY_ID", "AWS_CREDENTIAL_EXPIRATION", "AWS_DEFAULT_REGION",
	"AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// JobFolder says what a job left in its folder: "dotenv" for exactly one
// complete report named name that GitLab would accept (its secrets are
// registered), "empty" for nothing at all, or what else is there.
func JobFolder(leaks *harness.Leaks, dir, name string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	switch {
	case len(entries) == 0:
		return "empty"
	case len(entries) > 1 || entries[0].Name() != name:
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return "unexpected files: " + strings.Join(names, ", ")
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err.Error()
	}
	vars, err := ParseDotenv(data)
	if err != nil {
		return "a report GitLab would reject: " + err.Error()
	}
	for k, v := range vars {
		if strings.HasSuffix(k, "AWS_SECRET_ACCESS_KEY") || strings.HasSuffix(k, "AWS_SESSION_TOKEN") {
			leaks.Secret(k, v)
		}
	}
	var keys []string
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, CredentialKeys) {
		return "a report with " + strings.Join(keys, ", ")
	}
	return "dotenv"
}
