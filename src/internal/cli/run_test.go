package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// TestAssumeTargetsBounded: the roles of --roles are assumed at most
// --max-parallel at a time, the results come in the roles' order, and one
// failure does not stop the others (moved from rolesfile.Run's test).
func TestAssumeTargetsBounded(t *testing.T) {
	t.Parallel()
	plan := &Plan{RolesFile: "roles.yml", MaxParallel: 3}
	for i := range 12 {
		plan.Targets = append(plan.Targets, Target{Name: fmt.Sprintf("r%d", i)})
	}
	r := &assumeRun{plan: plan, env: Env{Now: time.Now}, log: logging.New(io.Discard, false)}
	var running, peak atomic.Int32
	results := r.assumeTargets(context.Background(), func(_ context.Context, tg Target, _ *slog.Logger) (assumed, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		if tg.Name == "r7" {
			return assumed{}, errors.New("boom")
		}
		return assumed{target: tg}, nil
	})
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak parallelism = %d, want at most 3 (and some)", p)
	}
	for i, res := range results {
		name := plan.Targets[i].Name
		if (res.err != nil) != (name == "r7") {
			t.Errorf("%s: err = %v", name, res.err)
		}
		if res.err == nil && res.target.Name != name {
			t.Errorf("result %d is %q, want the order of the roles", i, res.target.Name)
		}
	}
}
