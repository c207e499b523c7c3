package exchange

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
