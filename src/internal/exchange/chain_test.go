package exchange

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

func TestParseTag(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		want    Tag
		wantErr string
	}{
		{name: "plain", in: "team=payments", want: Tag{Key: "team", Value: "payments"}},
		{name: "empty_value", in: "team=", want: Tag{Key: "team"}},
		{name: "value_with_equals", in: "k=a=b", want: Tag{Key: "k", Value: "a=b"}},
		{name: "unicode_letters", in: "équipe=café", want: Tag{Key: "équipe", Value: "café"}},
		{name: "no_equals", in: "team", wantErr: `"team" is not KEY=VALUE`},
		{name: "empty_key", in: "=x", wantErr: "a tag key is empty"},
		{name: "reserved_prefix", in: "aws:x=1", wantErr: `starts with "aws:"`},
		{name: "bad_key_char", in: "te$am=x", wantErr: "holds a character AWS does not accept"},
		{name: "bad_value_char", in: "team=a;b", wantErr: `holds ';'`},
		{name: "long_key", in: strings.Repeat("k", 129) + "=v", wantErr: "is 129 characters; AWS accepts at most 128"},
		{name: "long_value", in: "k=" + strings.Repeat("v", 257), wantErr: "257 characters; AWS accepts at most 256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTag(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "invalid --tag: ") {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaimTags(t *testing.T) {
	t.Parallel()
	claims := token.Claims{
		ProjectPath: "mygroup/myproject", NamespacePath: "mygroup", Ref: "feature/ünïcode#1 $x", RefType: "branch",
		RefProtected: "true", PipelineID: "1001", JobID: "2002", UserLogin: "jane.doe", Environment: strings.Repeat("e", 300),
	}
	tags, rewritten := ClaimTags(claims)
	want := []Tag{
		{Key: "project_path", Value: "mygroup/myproject"}, {Key: "namespace_path", Value: "mygroup"}, {Key: "ref", Value: "feature/ünïcode_1 _x"},
		{Key: "ref_type", Value: "branch"}, {Key: "ref_protected", Value: "true"}, {Key: "environment", Value: strings.Repeat("e", 256)},
		{Key: "pipeline_id", Value: "1001"}, {Key: "job_id", Value: "2002"}, {Key: "user_login", Value: "jane.doe"},
	}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ref", "environment"}, rewritten); diff != "" {
		t.Errorf("rewritten (-want +got):\n%s", diff)
	}
	for _, tag := range tags {
		if err := checkTag(tag); err != nil {
			t.Errorf("sanitised tag is still invalid: %v", err)
		}
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	many := make([]Tag, 51)
	for i := range many {
		many[i] = Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	cases := []struct {
		name           string
		given, claims  []Tag
		transitive     []string
		want           []Tag
		wantTransitive []string
		wantErr        string
	}{
		{name: "given_wins_over_claim", given: []Tag{{Key: "Ref", Value: "override"}}, claims: []Tag{{Key: "ref", Value: "main"}, {Key: "job_id", Value: "1"}},
			transitive: []string{"job_id"}, want: []Tag{{Key: "Ref", Value: "override"}, {Key: "job_id", Value: "1"}}, wantTransitive: []string{"job_id"}},
		{name: "duplicate_given", given: []Tag{{Key: "a", Value: "1"}, {Key: "A", Value: "2"}}, wantErr: `key "A" is given twice`},
		{name: "too_many", claims: many, wantErr: "51 session tags; AWS accepts at most 50"},
		{name: "transitive_without_tag", given: []Tag{{Key: "a", Value: "1"}}, transitive: []string{"b"}, wantErr: `invalid --transitive-tag-key: "b" is not the key`},
		{name: "transitive_any_case", given: []Tag{{Key: "Team", Value: "1"}}, transitive: []string{"team"}, want: []Tag{{Key: "Team", Value: "1"}}, wantTransitive: []string{"team"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, keys, err := Tags(tc.given, tc.claims, tc.transitive)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTransitive, keys); diff != "" {
				t.Errorf("transitive (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClampDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want time.Duration
		clamped  bool
	}{{30 * time.Minute, 30 * time.Minute, false}, {time.Hour, time.Hour, false}, {2 * time.Hour, time.Hour, true}} {
		got, clamped := ClampDuration(tc.in)
		if got != tc.want || clamped != tc.clamped {
			t.Errorf("ClampDuration(%s) = %s, %v; want %s, %v", tc.in, got, clamped, tc.want, tc.clamped)
		}
	}
}

func TestParseExternalID(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "ab", "tenant-42:prod/x@y"} {
		if _, err := ParseExternalID(ok); err != nil {
			t.Errorf("ParseExternalID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a", "has space", "semi;colon", strings.Repeat("x", 1225)} {
		if _, err := ParseExternalID(bad); err == nil || !strings.HasPrefix(err.Error(), "invalid --external-id") {
			t.Errorf("ParseExternalID(%q) = %v, want an error naming the flag", bad, err)
		}
	}
}

func mustARN(t *testing.T, s string) ARN {
	t.Helper()
	a, err := ParseARN(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func chainRetry() Retry {
	r := DefaultRetry()
	r.MaxAttempts = 2
	r.Sleep = func(context.Context, time.Duration) error { return nil }
	return r
}

func TestRun(t *testing.T) {
	t.Parallel()
	first := Result{AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/ci/s", Credentials: Credentials{
		AccessKeyID: "ASIAFIRSTHOPEXAMPLE1", SecretAccessKey: "s1", SessionToken: "t1", Expiration: time.Now().Add(15 * time.Minute)}}
	roles := []ARN{mustARN(t, "arn:aws:iam::210987654321:role/hub"), mustARN(t, "arn:aws:iam::333333333333:role/target")}
	tags := []Tag{{Key: "project_path", Value: "mygroup/myproject"}, {Key: "environment", Value: strings.Repeat("p", 200)}}
	cases := []struct {
		name     string
		script   []ststest.Answer
		wantHop  int
		wantHint string
	}{
		{name: "two_hops"},
		{name: "second_hop_denied", script: []ststest.Answer{ststest.OK, ststest.Fail(403, "AccessDenied", "not authorized")}, wantHop: 2,
			wantHint: "must allow the principal arn:aws:sts::210987654321:assumed-role/hub/GitLabRunner-1"},
		{name: "sts_without_assume_role", script: []ststest.Answer{ststest.Fail(400, "InvalidAction", "Could not find operation AssumeRole")}, wantHop: 1,
			wantHint: "this STS does not implement AssumeRole"},
		{name: "sts_routing_assume_role_elsewhere", script: []ststest.Answer{ststest.Fail(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'iam'.")}, wantHop: 1,
			wantHint: "this STS does not implement AssumeRole"},
		{name: "packed_policy_too_large", script: []ststest.Answer{ststest.Fail(400, "PackedPolicyTooLarge", "Serialized token too large")}, wantHop: 1,
			wantHint: "drop tags, largest first: environment (211 characters), project_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			var signers []string
			o := ClientOptions{Region: "us-east-1", Endpoint: srv.URL, HTTPClient: &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
				// "AWS4-HMAC-SHA256 Credential=KEYID/date/region/sts/aws4_request, ..."
				cred, _, _ := strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="), "/")
				signers = append(signers, cred)
				return http.DefaultTransport.RoundTrip(r)
			})}}
			req := ChainRequest{Roles: roles, SessionName: "GitLabRunner-1", ExternalID: "ext", Duration: 30 * time.Minute,
				Tags: tags, TransitiveTagKeys: []string{"project_path"}, Policy: `{"Statement":[]}`}
			var logs bytes.Buffer
			res, err := Chain(context.Background(), o, first, req, chainRetry(), logging.New(&logs, true))
			if tc.wantHop > 0 {
				var hop *HopError
				if !errors.As(err, &hop) || hop.Hop != tc.wantHop {
					t.Fatalf("err = %v, want a failure of hop %d", err, tc.wantHop)
				}
				if !strings.Contains(hop.Hint(), tc.wantHint) {
					t.Errorf("hint = %q, want %q", hop.Hint(), tc.wantHint)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.AssumedRoleARN != "arn:aws:sts::333333333333:assumed-role/target/GitLabRunner-1" {
				t.Errorf("final session = %q", res.AssumedRoleARN)
			}
			reqs := srv.Requests()
			want := []ststest.Request{
				{Action: "AssumeRole", RoleARN: roles[0].String(), RoleSessionName: "GitLabRunner-1", DurationSeconds: "3600", Signed: true, ExternalID: "ext",
					Tags: []string{"project_path=mygroup/myproject", "environment=" + strings.Repeat("p", 200)}, TransitiveTagKeys: []string{"project_path"}},
				{Action: "AssumeRole", RoleARN: roles[1].String(), RoleSessionName: "GitLabRunner-1", DurationSeconds: "1800", Signed: true, ExternalID: "ext",
					Policy: `{"Statement":[]}`},
			}
			if diff := cmp.Diff(want, reqs); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"ASIAFIRSTHOPEXAMPLE1", ststest.AccessKeyID}, signers); diff != "" {
				t.Errorf("each hop must be signed by the one before (-want +got):\n%s", diff)
			}
			// ststest answers 6% per session tag: the first hop sends two.
			for _, want := range []string{
				"chained hop 1: arn:aws:sts::210987654321:assumed-role/hub/GitLabRunner-1 (session token at 12% of STS's size limit)\n",
				"chained hop 2: arn:aws:sts::333333333333:assumed-role/target/GitLabRunner-1 (session token at 0% of STS's size limit)\n",
			} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("--debug does not say %q:\n%s", want, logs.String())
				}
			}
		})
	}
}

func FuzzSanitizeValue(f *testing.F) {
	for _, s := range []string{"", "main", "feature/x#1", "ü$`\n", strings.Repeat("x", 300), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := SanitizeValue(s)
		if err := checkTag(Tag{Key: "k", Value: v}); err != nil {
			t.Fatalf("SanitizeValue(%q) = %q: %v", s, v, err)
		}
		if utf8.RuneCountInString(v) > utf8.RuneCountInString(s) {
			t.Fatalf("SanitizeValue grew %q to %q", s, v)
		}
	})
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"team=payments", "k=", "=v", "aws:x=1", "k=a=b", "ключ=значение", "k=\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag, err := ParseTag(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid --tag: ") {
				t.Fatalf("error does not name the flag: %v", err)
			}
			return
		}
		if err := checkTag(tag); err != nil {
			t.Fatalf("ParseTag(%q) accepted an invalid tag: %v", s, err)
		}
	})
}
