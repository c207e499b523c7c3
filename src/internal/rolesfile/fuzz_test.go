package rolesfile

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary files to the roles parser: it must return roles
// that all passed validation, or a *FileError, and never panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		rolesSeed,
		`[{"name":"a","role_arn":"arn:aws:iam::111111111111:role/a","profile":"a"}]`,
		"- name: a\n  role_arn: arn:aws:iam::111111111111:role/a\n  duration: 3600\n",
		"- &a {name: x}\n- *a\n",
		"{",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("f", data, defaults)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		names := map[string]bool{}
		for _, r := range rs {
			if r.Name == "" || names[r.Name] || (r.Prefix == "") == (r.Profile == "") || r.ARN.String() == "" {
				t.Fatalf("invalid role accepted: %+v", r)
			}
			names[r.Name] = true
		}
	})
}

const rolesSeed = `
- name: prod
  role_arn: arn:aws:iam::111111111111:role/deploy
  region: eu-west-1
  prefix: PROD_
- name: staging
  role_arn: arn:aws:iam::222222222222:role/deploy
  profile: staging
`
