// Package rolesfile owns --roles FILE: the list of roles one job assumes with
// one token (YAML or JSON) and its validation before anything is asked of
// STS. The cli's plan makes each entry a target of the run.
package rolesfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// MaxRoles bounds the list: more would not fit any output anyway (a dotenv
// report takes at most 150 variables on GitLab.com).
const MaxRoles = 100

// entry is one item of the file, as written.
type entry struct {
	Name     string `yaml:"name"`
	RoleARN  string `yaml:"role_arn"`
	Region   string `yaml:"region"`
	Duration string `yaml:"duration"`
	Prefix   string `yaml:"prefix"`
	Profile  string `yaml:"profile"`
}

// Role is one validated entry.
type Role struct {
	Name     string
	ARN      exchange.ARN
	Region   string
	Duration time.Duration
	// Prefix names the role's variables (dotenv, shell, github); Profile
	// puts it in the AWS config files instead. Exactly one is set.
	Prefix  string
	Profile string
}

// Defaults fill what an entry leaves out: the command's own flags.
type Defaults struct {
	Region   string
	Duration time.Duration
}

// FileError is a roles file that cannot be used.
type FileError struct {
	Path string
	// Entry counts from 1; 0 is the whole file.
	Entry int
	Name  string
	Msg   string
}

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid --roles file %q", e.Path)
	if e.Entry > 0 {
		fmt.Fprintf(&b, ", entry %d", e.Entry)
		if e.Name != "" {
			fmt.Fprintf(&b, " (%q)", e.Name)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Hint shows the shape of the file.
func (e *FileError) Hint() string {
	return "the roles file is a YAML or JSON list; each entry has name and role_arn, and optionally region, duration and either prefix or profile:\n" +
		"  - name: prod\n    role_arn: arn:aws:iam::111111111111:role/deploy\n    region: eu-west-1\n    prefix: PROD_\n" +
		"  - name: staging\n    role_arn: arn:aws:iam::222222222222:role/deploy\n    profile: staging"
}

// The name rules, checked byte by byte so that no regexp is compiled at
// start-up; lengths are checked apart.

// validName is [A-Za-z0-9][A-Za-z0-9_.-]*.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && (i == 0 || strings.IndexByte("_.-", c) < 0) {
			return false
		}
	}
	return s != ""
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// MaxFileBytes bounds what is read of a roles file: a list of a few
// hundred roles fits many times over.
const MaxFileBytes = 1 << 20

// Load reads and validates the roles file at path: a regular file of at
// most MaxFileBytes, read before ctx ends.
func Load(ctx context.Context, path string, d Defaults) ([]Role, error) {
	data, err := atomicfile.ReadInput(ctx, path, MaxFileBytes)
	if err != nil {
		return nil, &FileError{Path: path, Msg: fmt.Sprintf("failed to read it: %v", readReason(err))}
	}
	return Parse(path, data, d)
}

// readReason drops the path from a read error: FileError names it.
func readReason(err error) error {
	var refused *atomicfile.RefusedError
	if errors.As(err, &refused) {
		return errors.New(refused.Detail)
	}
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// Parse validates a roles file's content. JSON is YAML, so one decoder
// reads both; unknown keys are refused, since a typo (rolearn) would
// otherwise silently drop a setting.
func Parse(path string, data []byte, d Defaults) ([]Role, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var entries []entry
	if err := dec.Decode(&entries); err != nil {
		return nil, &FileError{Path: path, Msg: decodeReason(err)}
	}
	// A second YAML document (after ---) or JSON value would otherwise be
	// dropped without a word.
	// An empty one (a trailing ---) holds nothing to lose.
	for {
		var more any
		err := dec.Decode(&more)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || more != nil {
			return nil, &FileError{Path: path, Msg: "the file holds more than one YAML document or JSON value; put every role in the one list"}
		}
	}
	switch {
	case len(entries) == 0:
		return nil, &FileError{Path: path, Msg: "the list is empty"}
	case len(entries) > MaxRoles:
		return nil, &FileError{Path: path, Msg: fmt.Sprintf("%d roles; at most %d fit in one run", len(entries), MaxRoles)}
	}
	out := make([]Role, 0, len(entries))
	names, prefixes, profiles := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, e := range entries {
		fail := func(format string, args ...any) error {
			return &FileError{Path: path, Entry: i + 1, Name: e.Name, Msg: fmt.Sprintf(format, args...)}
		}
		r, err := validate(e, d)
		if err != nil {
			var fe *exchange.FieldError
			if errors.As(err, &fe) {
				return nil, fail("%s: %s", fieldName(fe.Field), fe.Msg)
			}
			return nil, fail("%v", err)
		}
		switch {
		case names[r.Name]:
			return nil, fail("name %q is used twice", r.Name)
		case r.Prefix != "" && prefixes[r.Prefix]:
			return nil, fail("prefix %q is used twice; every role needs its own, or its variables overwrite another's", r.Prefix)
		case r.Profile != "" && profiles[r.Profile]:
			return nil, fail("profile %q is used twice", r.Profile)
		}
		names[r.Name], prefixes[r.Prefix], profiles[r.Profile] = true, true, true
		out = append(out, r)
	}
	return out, nil
}

// maxProblems is how many of a type error's problems are named.
const maxProblems = 5

// decodeReason is the YAML decoder's complaint in the file's words: one
// line (a type error lists each problem on a line of its own), and no Go
// type of ours ("field colour not found in type rolesfile.entry").
func decodeReason(err error) string {
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) {
		problems := te.Errors
		if len(problems) > maxProblems {
			problems = append(problems[:maxProblems:maxProblems], fmt.Sprintf("and %d more", len(te.Errors)-maxProblems))
		}
		msg = strings.Join(problems, "; ")
	}
	return strings.NewReplacer("in type []rolesfile.entry", "in the list of roles", "in type rolesfile.entry", "in a role entry",
		"[]rolesfile.entry", "a list of roles", "rolesfile.entry", "a role entry").Replace(msg)
}

// fieldName maps the field names of package exchange to the file's keys.
func fieldName(flag string) string {
	if flag == "role-arn" {
		return "role_arn"
	}
	return flag
}

func validate(e entry, d Defaults) (Role, error) {
	r := Role{Name: strings.TrimSpace(e.Name), Region: strings.TrimSpace(e.Region), Prefix: e.Prefix, Profile: e.Profile}
	if len(r.Name) > 64 || !validName(r.Name) {
		return Role{}, fmt.Errorf("name %q must be 1 to 64 letters, digits and _.- (it labels the role's result line)", r.Name)
	}
	var err error
	if r.ARN, err = exchange.ParseARN(strings.TrimSpace(e.RoleARN)); err != nil {
		return Role{}, err
	}
	if r.Region == "" {
		r.Region = d.Region
	}
	if err := exchange.CheckPartition(r.ARN, r.Region); err != nil {
		return Role{}, err
	}
	r.Duration = d.Duration
	if strings.TrimSpace(e.Duration) != "" {
		if r.Duration, err = exchange.ParseDuration(e.Duration); err != nil {
			return Role{}, err
		}
	}
	switch {
	case r.Prefix != "" && r.Profile != "":
		return Role{}, fmt.Errorf("give prefix or profile, not both")
	case r.Profile != "":
		if !awsconfig.IsName(r.Profile) {
			return Role{}, fmt.Errorf("profile %q must be 1 to 64 letters, digits and _.+@-", r.Profile)
		}
		if r.Profile == awsconfig.ReservedName {
			// configparser's DEFAULTSECT.
			return Role{}, fmt.Errorf(`profile "DEFAULT" is reserved: the AWS CLI reads a [DEFAULT] section as defaults for every profile; use "default" or another name`)
		}
	case r.Prefix != "":
		if !ci.IsVariableName(r.Prefix) {
			return Role{}, fmt.Errorf("prefix %q must start with a letter or _ and hold only letters, digits and _ (for example PROD_)", r.Prefix)
		}
	default:
		// Every role needs its own names; the entry's name gives them.
		r.Prefix = DefaultPrefix(r.Name)
	}
	return r, nil
}

// DefaultPrefix derives a variable prefix from a role's name: "prod-eu"
// gives PROD_EU_.
func DefaultPrefix(name string) string {
	p := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		default:
			return '_'
		}
	}, name) + "_"
	if p[0] >= '0' && p[0] <= '9' {
		p = "_" + p
	}
	return p
}
