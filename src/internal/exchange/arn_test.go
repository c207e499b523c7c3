package exchange

import (
	"errors"
	"strings"
	"testing"

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

func TestAssumedRoleAccount(t *testing.T) {
	t.Parallel()
	for arn, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/deploy/GitLabRunner-42": "123456789012",
		"arn:aws:sts::123456789012:assumed-role/deploy/s:999999999999":  "",
		"arn:aws-cn:sts::123456789012:assumed-role/deploy/session":      "",
		"arn:aws:iam::123456789012:role/deploy":                         "",
		"arn:aws:sts::123456789012:assumed-role/deploy":                 "",
		"arn:aws:sts::123456789012:assumed-role/deploy/s":               "",
		"arn:aws:sts::12345678901:assumed-role/deploy/session":          "",
		"arn:aws:sts:us-east-1:123456789012:assumed-role/deploy/sess":   "",
		"hello": "",
		"":      "",
	} {
		got, ok := AssumedRoleAccount(arn, "aws")
		if got != want || ok != (want != "") {
			t.Errorf("AssumedRoleAccount(%q) = %q, %v; want %q", arn, got, ok, want)
		}
	}
}
