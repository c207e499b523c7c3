package exchange

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseARN(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		want    ARN
		wantErr string
	}{
		{name: "plain", in: "arn:aws:iam::123456789012:role/deploy", want: ARN{Partition: "aws", AccountID: "123456789012", Path: "/", Name: "deploy"}},
		{name: "with_path", in: "arn:aws:iam::123456789012:role/ci/gitlab/deploy", want: ARN{Partition: "aws", AccountID: "123456789012", Path: "/ci/gitlab/", Name: "deploy"}},
		{name: "china", in: "arn:aws-cn:iam::123456789012:role/deploy", want: ARN{Partition: "aws-cn", AccountID: "123456789012", Path: "/", Name: "deploy"}},
		{name: "govcloud", in: "arn:aws-us-gov:iam::123456789012:role/deploy", want: ARN{Partition: "aws-us-gov", AccountID: "123456789012", Path: "/", Name: "deploy"}},
		{name: "iso_b", in: "arn:aws-iso-b:iam::123456789012:role/deploy", want: ARN{Partition: "aws-iso-b", AccountID: "123456789012", Path: "/", Name: "deploy"}},
		{name: "name_punctuation", in: "arn:aws:iam::123456789012:role/a+b=c,d.e@f_g-h", want: ARN{Partition: "aws", AccountID: "123456789012", Path: "/", Name: "a+b=c,d.e@f_g-h"}},
		{name: "empty", in: "", wantErr: "required"},
		{name: "too_short", in: "arn:aws:iam::1:r", wantErr: "20 to 2048"},
		{name: "wrong_partition", in: "arn:azure:iam::123456789012:role/deploy", wantErr: `unknown partition "azure"`},
		{name: "short_account", in: "arn:aws:iam::12345678901:role/deploy", wantErr: "12 digits"},
		{name: "letters_in_account", in: "arn:aws:iam::12345678901O:role/deploy", wantErr: "12 digits"},
		{name: "user_not_role", in: "arn:aws:iam::123456789012:user/deploy", wantErr: `names a "user", not a role`},
		{name: "sts_assumed_role", in: "arn:aws:sts::123456789012:assumed-role/deploy/s", wantErr: `service "sts"`},
		{name: "region_set", in: "arn:aws:iam:us-east-1:123456789012:role/deploy", wantErr: `names region "us-east-1"`},
		{name: "leading_space", in: " arn:aws:iam::123456789012:role/deploy", wantErr: "whitespace"},
		{name: "newline", in: "arn:aws:iam::123456789012:role/deploy\nX=1", wantErr: "whitespace"},
		{name: "unicode_lookalike", in: "arn:aws:iam::123456789012:rоle/deploy", wantErr: "non-ASCII"},
		{name: "no_name", in: "arn:aws:iam::123456789012:role/", wantErr: "invalid role name"},
		{name: "name_too_long", in: "arn:aws:iam::123456789012:role/" + strings.Repeat("a", 65), wantErr: "invalid role name"},
		{name: "not_an_arn", in: "deploy-role-in-account-123", wantErr: "is not an ARN"},
		{name: "shell_metacharacters", in: "arn:aws:iam::123456789012:role/$(reboot)", wantErr: "invalid role name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseARN(tc.in)
			checkErr(t, err, tc.wantErr, "role-arn")
			if tc.wantErr == "" {
				if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(ARN{})); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				if got.String() != tc.in {
					t.Errorf("String() = %q", got.String())
				}
			}
		})
	}
}

func checkErr(t *testing.T, err error, want, field string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FieldError", err)
	}
	if fe.Field != field {
		t.Errorf("field = %q, want %q", fe.Field, field)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "", want: time.Hour},
		{in: "3600", want: time.Hour},
		{in: "1h", want: time.Hour},
		{in: "900", want: 15 * time.Minute},
		{in: "15m", want: 15 * time.Minute},
		{in: "43200", want: 12 * time.Hour},
		{in: "12h", want: 12 * time.Hour},
		{in: " 90m ", want: 90 * time.Minute},
		{in: "0", wantErr: "out of range"},
		{in: "-3600", wantErr: "out of range"},
		{in: "899", wantErr: "out of range"},
		{in: "43201", wantErr: "out of range"},
		{in: "1y", wantErr: "neither whole seconds"},
		{in: "99999999999999999999999", wantErr: "neither whole seconds"},
		{in: "9223372036854775807", wantErr: "out of range"},
		{in: "1h0.5s", wantErr: "whole number of seconds"},
		{in: "-1h", wantErr: "out of range"},
		{in: "1 h", wantErr: "neither whole seconds"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tc.in)
			checkErr(t, err, tc.wantErr, "duration")
			if tc.wantErr == "" && got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSessionName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in        string
		want      string
		rewritten bool
	}{
		{in: "GitLabRunner-42-1234-5678", want: "GitLabRunner-42-1234-5678"},
		{in: "a+b=c,d.e@f_g-h", want: "a+b=c,d.e@f_g-h"},
		{in: "deploy main", want: "deploy-main", rewritten: true},
		{in: "x", want: "x_", rewritten: true},
		{in: "", want: "__", rewritten: true},
		{in: strings.Repeat("a", 70), want: strings.Repeat("a", 64), rewritten: true},
		{in: "$(id)`whoami`", want: "--id--whoami-", rewritten: true},
		{in: "é", want: "-_", rewritten: true},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			got, rewritten := SessionName(tc.in)
			if got != tc.want || rewritten != tc.rewritten {
				t.Errorf("SessionName(%q) = %q, %v; want %q, %v", tc.in, got, rewritten, tc.want, tc.rewritten)
			}
		})
	}
}

func TestPartitions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		region, partition, endpoint, audience string
	}{
		{"us-east-1", "aws", "https://sts.us-east-1.amazonaws.com", "sts.amazonaws.com"},
		{"eu-central-1", "aws", "https://sts.eu-central-1.amazonaws.com", "sts.amazonaws.com"},
		{"cn-north-1", "aws-cn", "https://sts.cn-north-1.amazonaws.com.cn", "sts.amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "https://sts.us-gov-west-1.amazonaws.com", "sts.amazonaws.com"},
		{"us-iso-east-1", "aws-iso", "https://sts.us-iso-east-1.c2s.ic.gov", "sts.amazonaws.com"},
		{"us-isob-east-1", "aws-iso-b", "https://sts.us-isob-east-1.sc2s.sgov.gov", "sts.amazonaws.com"},
	}
	for _, tc := range cases {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()
			p, err := PartitionOf(tc.region)
			if err != nil {
				t.Fatal(err)
			}
			ep, _ := STSEndpoint(tc.region)
			got := []string{p.Name, ep, Audience(tc.region)}
			if diff := cmp.Diff([]string{tc.partition, tc.endpoint, tc.audience}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "US-EAST-1", "us-east", "mars-1", "us-east-1.evil.com"} {
		if _, err := STSEndpoint(bad); err == nil {
			t.Errorf("STSEndpoint(%q) accepted", bad)
		}
	}
}

func TestCheckPartition(t *testing.T) {
	t.Parallel()
	cn, _ := ParseARN("arn:aws-cn:iam::123456789012:role/deploy")
	if err := CheckPartition(cn, "cn-northwest-1"); err != nil {
		t.Errorf("cn role in cn region: %v", err)
	}
	checkErr(t, CheckPartition(cn, "us-east-1"), `is in partition "aws" but the role`, "region")
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	valid := `{ "Version": "2012-10-17", "Statement": [ {"Effect":"Allow","Action":"s3:*","Resource":"*"} ] }`
	got, err := ParsePolicy(valid)
	if err != nil || got != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}` {
		t.Errorf("ParsePolicy = %q, %v", got, err)
	}
	if got, err := ParsePolicy("  "); got != "" || err != nil {
		t.Errorf("empty policy = %q, %v", got, err)
	}
	long := `{"Statement":[{"Sid":"` + strings.Repeat("a", 2049) + `"}]}`
	for in, want := range map[string]string{
		"{not json":         "not a JSON object",
		`["array"]`:         "not a JSON object",
		`{"Version":"1"}`:   `no "Statement"`,
		long:                "at most 2048",
		`{"Statement":[]}x`: "not a JSON object",
	} {
		_, err := ParsePolicy(in)
		checkErr(t, err, want, "policy")
	}
}

func TestParsePolicyARNs(t *testing.T) {
	t.Parallel()
	ok := []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", " arn:aws:iam::123456789012:policy/team/deploy ", ""}
	got, err := ParsePolicyARNs(ok)
	if diff := cmp.Diff([]string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/team/deploy"}, got); diff != "" || err != nil {
		t.Errorf("ParsePolicyARNs: %v (-want +got):\n%s", err, diff)
	}
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = "arn:aws:iam::aws:policy/P" + strings.Repeat("x", i)
	}
	_, err = ParsePolicyARNs(eleven)
	checkErr(t, err, "at most 10", "policy-arn")
	_, err = ParsePolicyARNs([]string{"arn:aws:iam::123456789012:role/deploy"})
	checkErr(t, err, "not a managed policy ARN", "policy-arn")
}

func FuzzParseARN(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::123456789012:role/deploy", "arn:aws-cn:iam::123456789012:role/a/b/c", "arn:aws:iam::1:user/x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseARN(s)
		if err != nil {
			return
		}
		// Whatever is accepted is printable ASCII, has a 12-digit account
		// and a known partition, so it cannot inject into any output.
		if a.String() != s || len(a.AccountID) != 12 || strings.ContainsAny(s, " \t\r\n'\"$`") {
			t.Errorf("accepted %q as %+v", s, a)
		}
		if _, ok := partitionNamed(a.Partition); !ok {
			t.Errorf("accepted unknown partition %q", a.Partition)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"3600", "1h", "899", "43201", "1y", "-1", "1h30m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && (d < MinDuration || d > MaxDuration || d%time.Second != 0) {
			t.Errorf("ParseDuration(%q) = %v, out of STS's range", s, d)
		}
	})
}
