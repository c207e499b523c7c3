package exchange

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

func TestAssumeRole(t *testing.T) {
	t.Parallel()
	denied := ststest.Fail(403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole")
	cases := []struct {
		name      string
		script    []ststest.Answer
		wantCode  string
		wantCalls int
	}{
		{name: "success", wantCalls: 1},
		{name: "throttled_then_success", script: []ststest.Answer{ststest.Fail(400, "Throttling", "Rate exceeded")}, wantCalls: 2},
		// Chained hops share the busy policy: throttling never counts
		// against MaxAttempts (5), nor does a 503.
		{name: "throttled_past_max_attempts", script: []ststest.Answer{ststest.Fail(400, "Throttling", "Rate exceeded"),
			ststest.Fail(400, "RequestThrottled", "x"), ststest.Fail(400, "Throttling", "x"), {Status: 503, Raw: "busy"},
			ststest.Fail(503, "ServiceUnavailable", "x"), ststest.Fail(400, "Throttling", "x")}, wantCalls: 7},
		{name: "access_denied_not_retried", script: []ststest.Answer{denied}, wantCode: "AccessDenied", wantCalls: 1},
		{name: "packed_policy_too_large", script: []ststest.Answer{ststest.Fail(400, "PackedPolicyTooLarge", "Serialized token too large for session")},
			wantCode: "PackedPolicyTooLarge", wantCalls: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			client := NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL, Credentials: &Credentials{
				AccessKeyID: "ASIAFIRSTHOPEXAMPLE1", SecretAccessKey: "first-hop-secret", SessionToken: "first-hop-session", Expiration: time.Now().Add(time.Hour),
			}})
			req := RoleRequest{
				RoleARN: mustARN(t, "arn:aws:iam::210987654321:role/target"), SessionName: "GitLabRunner-1-2-3", ExternalID: "ext-123",
				Duration: time.Hour, Tags: []Tag{{"project_path", "mygroup/myproject"}, {"ref", "main"}}, TransitiveTagKeys: []string{"project_path"},
			}
			res, err := AssumeRole(context.Background(), client, req, testRetry(&fakeClock{now: time.Now()}), slog.New(slog.DiscardHandler))
			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if tc.wantCode != "" {
				var xerr *Error
				if !errors.As(err, &xerr) || xerr.Code != tc.wantCode {
					t.Fatalf("err = %v, want code %s", err, tc.wantCode)
				}
				if !strings.HasPrefix(err.Error(), "sts AssumeRole failed") {
					t.Errorf("error %q does not name AssumeRole", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.AssumedRoleARN != "arn:aws:sts::210987654321:assumed-role/target/GitLabRunner-1-2-3" {
				t.Errorf("assumed role = %q", res.AssumedRoleARN)
			}
			want := ststest.Request{Action: "AssumeRole", RoleARN: req.RoleARN.String(), RoleSessionName: req.SessionName, DurationSeconds: "3600",
				Signed: true, ExternalID: "ext-123", Tags: []string{"project_path=mygroup/myproject", "ref=main"}, TransitiveTagKeys: []string{"project_path"}}
			if diff := cmp.Diff(want, srv.Requests()[len(srv.Requests())-1]); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if want := 12; res.SessionTokenUtilization != want {
				t.Errorf("session token utilization = %d, want ststest's %d%% for two tags", res.SessionTokenUtilization, want)
			}
		})
	}
}
