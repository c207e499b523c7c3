package trustpolicy

import (
	"bytes"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/goldentest"
)

// TestWriteReport is what `trust-policy --check` prints: trust policies as
// users write them, each with one classic mistake, against a job's token.
func TestWriteReport(t *testing.T) {
	t.Parallel()
	const (
		head = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":`
		tail = `}]}`
		good = `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com","gitlab.example.com:sub":"project_path:mygroup/myproject:ref_type:branch:ref:main"}}`
	)
	job := &Facts{Issuer: "https://gitlab.example.com", Subject: "project_path:mygroup/myproject:ref_type:branch:ref:main", Audience: []string{"https://gitlab.example.com"}}
	other := &Facts{Issuer: job.Issuer, Subject: "project_path:mygroup/other:ref_type:branch:ref:feature", Audience: job.Audience}
	otherAud := &Facts{Issuer: job.Issuer, Subject: job.Subject, Audience: []string{"sts.amazonaws.com"}}
	tests := []struct {
		name      string
		condition string
		tok       *Facts
		want      Report
		golden    string
		lines     []string
	}{
		{name: "good_policy_and_token", condition: good, tok: job, golden: "check-good.golden"},
		{name: "wildcard_under_stringequals", tok: job, want: Report{Failures: 1, Refused: true}, golden: "check-wildcard.golden",
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com","gitlab.example.com:sub":"project_path:mygroup/*:ref_type:branch:ref:main"}}`},
		{name: "wrong_host", tok: job, want: Report{Failures: 3, Refused: true}, golden: "check-wrong-host.golden",
			condition: `{"StringEquals":{"gitlab.com:aud":"https://gitlab.example.com","gitlab.com:sub":"project_path:mygroup/myproject:ref_type:branch:ref:main"}}`},
		{name: "no_sub", want: Report{Failures: 1}, golden: "check-no-sub.golden",
			condition: `{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com"}}`},
		{name: "token_for_other_project_and_branch", condition: good, tok: other, want: Report{Refused: true},
			lines: []string{"fail  this token", "refused", `the token's sub is "project_path:mygroup/other:ref_type:branch:ref:feature"`}},
		{name: "token_for_other_audience", condition: good, tok: otherAud, want: Report{Failures: 1, Refused: true},
			lines: []string{`the token's aud is "sts.amazonaws.com"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePolicy([]byte(head + tt.condition + tail))
			if err != nil {
				t.Fatal(err)
			}
			e := Expect{}
			if tt.tok != nil {
				e = Expect{Issuer: tt.tok.Issuer, Audience: tt.tok.Audience}
			}
			var b bytes.Buffer
			got := p.WriteReport(&b, e, tt.tok)
			t.Log(b.String())
			if got != tt.want {
				t.Errorf("report = %+v, want %+v", got, tt.want)
			}
			if got.Failed() != (tt.want != Report{}) {
				t.Errorf("Failed() = %v", got.Failed())
			}
			if tt.golden != "" {
				goldentest.Check(t, tt.golden, b.Bytes())
			}
			for _, l := range tt.lines {
				if !strings.Contains(b.String(), l) {
					t.Errorf("report lacks %q", l)
				}
			}
		})
	}
}
