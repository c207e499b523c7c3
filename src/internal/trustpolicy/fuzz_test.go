package trustpolicy

import (
	"strings"
	"testing"
)

// FuzzParsePolicy feeds arbitrary documents through everything --check and
// doctor do with a trust policy: none of it may panic, and the verdict must
// not depend on anything but the document and the claims.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"` + host + `:sub":"project_path:mygroup/*"},"StringEquals":{"` + host + `:aud":"` + issuer + `"}}}]}`))
	f.Add([]byte(`{"Statement":{"Effect":"Deny","Principal":"*","Action":["sts:*"],"Condition":{"ForAnyValue:StringNotLikeIfExists":{"x.y:sub":["*",1,true]}}}}`))
	f.Add([]byte(`{"Role":{"AssumeRolePolicyDocument":"{\"Statement\":[]}"}}`))
	f.Add([]byte(`%7B%22Statement%22%3A%5B%5D%7D`))
	f.Add([]byte(`{"Statement":[{"Condition":{"StringEquals":{"k":null}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		p.Check(Expect{Issuer: issuer, Audience: []string{issuer}})
		p.Check(Expect{})
		a := p.Evaluate(tokenFacts)
		b := p.Evaluate(tokenFacts)
		if a.Allowed != b.Allowed || strings.Join(a.Reasons, "\n") != strings.Join(b.Reasons, "\n") {
			t.Errorf("two evaluations differ: %+v and %+v", a, b)
		}
	})
}

// FuzzSubjectPattern checks the exact analysis against the plain matcher: a
// pattern that matches a real GitLab sub must be said to be able to.
func FuzzSubjectPattern(f *testing.F) {
	f.Add("project_path:mygroup/*", mainSub)
	f.Add("project_path:*:ref_type:branch:ref:main", mainSub)
	f.Add("project_path:g/p:ref:?ain", "project_path:g/p:ref:main")
	f.Add("*:ref_type:tag:ref:v*", "project_path:a/b:ref_type:tag:ref:v1.0")
	f.Add("repo:*", "repo:x/y:ref:refs/heads/main")
	f.Fuzz(func(t *testing.T, pattern, sub string) {
		if len(pattern) > 200 || len(sub) > 200 {
			return
		}
		if SubjectCanMatch(sub, false) && globMatch(pattern, sub) && !SubjectCanMatch(pattern, true) {
			t.Errorf("pattern %q matches the GitLab sub %q, yet is said to match none", pattern, sub)
		}
		// Fill the wildcards in to get strings the pattern surely matches.
		for _, filler := range []string{"", "x", "/x"} {
			s := strings.NewReplacer("*", filler, "?", "a").Replace(pattern)
			if globMatch(pattern, s) && SubjectCanMatch(s, false) && !SubjectCanMatch(pattern, true) {
				t.Errorf("pattern %q matches the GitLab sub %q, yet is said to match none", pattern, s)
			}
		}
		if SubjectAdmitsAnyProject(pattern, true) && !SubjectCanMatch(pattern, true) {
			t.Errorf("pattern %q admits any project but matches no sub", pattern)
		}
	})
}
