package logging

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	log := New(&b, false)
	log.Info("assumed role", "arn", "arn:aws:sts::123456789012:assumed-role/deploy/s", "expires", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	log.Warn("attempt 1 of 5 failed: Throttling; retrying in 500ms")
	log.Debug("hidden")
	log.With("role", "prod").Error("bad", "why", "two words")
	want := "assumed role arn=arn:aws:sts::123456789012:assumed-role/deploy/s expires=2030-01-02T03:04:05Z\n" +
		"warning: attempt 1 of 5 failed: Throttling; retrying in 500ms\n" +
		"error: bad role=prod why=\"two words\"\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHandlerDebug(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	New(&b, true).WithGroup("claims").Debug("token", "sub", "project_path:g/p:ref_type:branch:ref:main")
	want := "debug: token claims.sub=project_path:g/p:ref_type:branch:ref:main\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// An attribute keeps the group open when it was added, as slog's own
// handlers do: the role of the many-role path stays "role=" under a group.
func TestHandlerAttrsKeepTheirGroup(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	New(&b, false).With("role", "prod").WithGroup("claims").Info("token", "sub", "x", "empty", "")
	want := "token role=prod claims.sub=x claims.empty=\"\"\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
