// Package awsconfig owns the AWS shared config and credentials files that
// `assume --profile` and `--roles` write: one profile per role, so that
// `aws --profile prod ...` and multi-provider Terraform set-ups find them.
//
// Profiles already in the files are kept as they are; a profile written
// again is replaced in place. Both files are rendered and checked in full
// before either is written, and each is replaced atomically with mode 0600.
package awsconfig

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/credentials"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/role"
)

// fileMode keeps credentials readable by the job's user only.
const fileMode = 0o600

// maxFileBytes bounds what is read of an existing file.
const maxFileBytes = 1 << 20

// Files are the two files the AWS CLI and SDKs read (AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE).
type Files struct {
	Config      string
	Credentials string
}

// Profile is one role session as a named profile.
type Profile struct {
	Name        string
	Region      string
	Credentials credentials.Credentials
}

// The length is checked apart: a bounded repeat compiles a state per step.
var profileNameRE = regexp.MustCompile(`^[A-Za-z0-9_.+@-]+$`)

// ValidateName checks a profile name. The AWS CLI accepts more, but a name
// that is also safe in a shell, a file name and a Terraform string avoids
// surprises.
func ValidateName(name string) error {
	if len(name) > 64 || !profileNameRE.MatchString(name) {
		return &role.FieldError{Field: "profile", Msg: fmt.Sprintf("%q must be 1 to 64 letters, digits and _.+@- (for example prod)", name)}
	}
	return nil
}

// Write merges profiles into files. Nothing is written when any profile or
// either existing file is invalid.
func Write(files Files, profiles []Profile) error {
	p, err := Prepare(files, profiles)
	if err != nil {
		return err
	}
	return p.Write()
}

// Pending is a checked pair of files, ready to be written.
type Pending struct {
	files         Files
	config, creds []byte
	// oldCreds is the credentials file as Prepare found it (hadCreds: it
	// existed), to put back when the config file cannot be written.
	oldCreds []byte
	hadCreds bool
}

// Prepare renders and checks both files without writing either, so a
// caller with several outputs can check them all before writing any.
func Prepare(files Files, profiles []Profile) (*Pending, error) {
	seen := map[string]bool{}
	var config, creds []section
	for _, p := range profiles {
		if err := ValidateName(p.Name); err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, &role.FieldError{Field: "profile", Msg: fmt.Sprintf("%q is given twice; give every role its own profile", p.Name)}
		}
		seen[p.Name] = true
		c := p.Credentials
		for _, v := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, p.Region} {
			if strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("profile %q: a value spans several lines", p.Name)
			}
		}
		creds = append(creds, section{header: p.Name, lines: []string{
			"aws_access_key_id = " + c.AccessKeyID,
			"aws_secret_access_key = " + c.SecretAccessKey,
			"aws_session_token = " + c.SessionToken,
		}})
		header := "profile " + p.Name
		if p.Name == "default" {
			header = "default"
		}
		var lines []string
		if p.Region != "" {
			lines = append(lines, "region = "+p.Region)
		}
		config = append(config, section{header: header, lines: lines})
	}
	oldCreds, hadCreds, err := read(files.Credentials)
	if err != nil {
		return nil, err
	}
	oldConfig, _, err := read(files.Config)
	if err != nil {
		return nil, err
	}
	return &Pending{files: files, config: merge(oldConfig, config), creds: merge(oldCreds, creds),
		oldCreds: oldCreds, hadCreds: hadCreds}, nil
}

// Write replaces both files, each atomically.
func (p *Pending) Write() error {
	// The credentials go first: a config profile without credentials fails
	// loudly, credentials without a config profile still work.
	if err := atomicfile.Write(p.files.Credentials, p.creds, fileMode); err != nil {
		return fmt.Errorf("failed to write the AWS credentials file: %w", err)
	}
	if err := atomicfile.Write(p.files.Config, p.config, fileMode); err != nil {
		// The pair changes together or not at all: put the credentials
		// file back as it was.
		if p.hadCreds {
			_ = atomicfile.Write(p.files.Credentials, p.oldCreds, fileMode)
		} else {
			_ = os.Remove(p.files.Credentials)
		}
		return fmt.Errorf("failed to write the AWS config file: %w", err)
	}
	return nil
}

type section struct {
	header string
	lines  []string
}

func (s section) render(b *bytes.Buffer) {
	fmt.Fprintf(b, "[%s]\n", s.header)
	for _, l := range s.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

func read(path string) ([]byte, bool, error) {
	b, ok, err := atomicfile.ReadExisting(path, maxFileBytes)
	if err != nil {
		return nil, false, fmt.Errorf("failed to read %q: %w", path, err)
	}
	return b, ok, nil
}

// merge returns existing with the sections replaced or appended. Lines
// outside the replaced sections are kept byte for byte.
func merge(existing []byte, sections []section) []byte {
	want := map[string]section{}
	for _, s := range sections {
		want[s.header] = s
	}
	var b bytes.Buffer
	done := map[string]bool{}
	skipping := false
	text := strings.TrimSuffix(string(existing), "\n")
	if text != "" {
		for _, line := range strings.Split(text, "\n") {
			if h, ok := header(line); ok {
				s, ours := want[h]
				skipping = ours
				if ours && !done[h] {
					s.render(&b)
					done[h] = true
				}
				if ours {
					continue
				}
			}
			if !skipping {
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
	}
	for _, s := range sections {
		if !done[s.header] {
			s.render(&b)
			done[s.header] = true
		}
	}
	return b.Bytes()
}

// header reads a section header line such as "[profile prod]".
func header(line string) (string, bool) {
	l := strings.TrimSpace(line)
	if !strings.HasPrefix(l, "[") || !strings.HasSuffix(l, "]") {
		return "", false
	}
	return strings.Join(strings.Fields(l[1:len(l)-1]), " "), true
}
