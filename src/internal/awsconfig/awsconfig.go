// Package awsconfig owns the AWS shared config and credentials files that
// `assume --profile` and `--roles` write: one profile per role, so that
// `aws --profile prod ...` and multi-provider Terraform set-ups find them.
//
// The files are read the way the AWS CLI reads them (see ini.go). A run
// owns exactly the sections of the profiles it writes or removes; every
// other byte of both files stays as it was, comments, blank lines, other
// profiles and sections of other kinds included. A section the AWS CLI and
// other readers would name differently, one of them a profile the run
// owns, is refused rather than guessed. Both files are rendered and checked
// in full before either is written, and each is replaced atomically with
// mode 0600. Remove takes profiles out again the same way.
package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
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
	Credentials exchange.Credentials
}

// Remove deletes the sections of the named profiles from both files and
// reports which of the names it found in either file, and the files it
// deleted because they held nothing else. Every other byte stays; a file
// that holds none of them is not rewritten. It holds the lock of both
// files' directories (see atomicfile.Lock) from the read to the write, so
// a run writing profiles at the same time loses nothing.
func Remove(ctx context.Context, files Files, names []string) (found, deleted []string, err error) {
	unlock, err := atomicfile.Lock(ctx, files.Config, files.Credentials)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	p, err := PrepareRemove(files, names)
	if err != nil {
		return nil, nil, err
	}
	if err := p.Write(); err != nil {
		return nil, nil, err
	}
	if len(p.found) == 0 {
		return nil, nil, nil
	}
	for _, f := range p.files {
		if f.written && len(f.old) > 0 && len(f.data) == 0 {
			if err := os.Remove(f.path); err != nil {
				return p.found, deleted, err
			}
			deleted = append(deleted, f.path)
		}
	}
	return p.found, deleted, nil
}

// Pending is a checked pair of files, ready to be written.
type Pending struct {
	// files are the credentials file, then the config file: the
	// credentials go first, since a config profile without credentials
	// fails loudly and credentials without a config profile still work.
	files [2]pendingFile
	found []string
}

type pendingFile struct {
	kind    fileKind
	path    string
	old     []byte
	existed bool
	data    []byte
	changed bool
	// written is set once data is in place, for Undo.
	written bool
	// saved is the old file's mode and owner, for Undo.
	saved *atomicfile.Saved
	// perm is the mode written: fileMode, or the file's own on removal.
	perm os.FileMode
}

// Prepare renders and checks both files without writing either, so a
// caller with several outputs can check them all before writing any. A
// caller that runs beside others on the same files holds atomicfile.Lock
// over both paths from Prepare to Write.
func Prepare(files Files, profiles []Profile) (*Pending, error) {
	seen := map[string]bool{}
	creds := map[string]string{}
	config := map[string]string{}
	var order []string
	for _, p := range profiles {
		if err := ValidateName(p.Name); err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, &exchange.FieldError{Field: "profile", Msg: fmt.Sprintf("%q is given twice; give every role its own profile", p.Name)}
		}
		seen[p.Name] = true
		c := p.Credentials
		for _, v := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, p.Region} {
			if strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("profile %q: a value spans several lines", p.Name)
			}
		}
		order = append(order, p.Name)
		creds[p.Name] = "[" + p.Name + "]\n" + Marker + "\n" +
			"aws_access_key_id = " + c.AccessKeyID + "\n" +
			"aws_secret_access_key = " + c.SecretAccessKey + "\n" +
			"aws_session_token = " + c.SessionToken + "\n"
		section := "[" + sectionFor(p.Name, true) + "]\n" + Marker + "\n"
		if p.Region != "" {
			section += "region = " + p.Region + "\n"
		}
		config[p.Name] = section
	}
	p, err := prepare(files, order, creds, config)
	if err != nil {
		return nil, err
	}
	// What assume writes, cleanup must be able to take out again: a file
	// whose removal would be refused is refused now, before anything is
	// written (an indented header after our section stays a header only
	// while our section has settings).
	none := map[string]string{}
	for _, n := range order {
		none[n] = ""
	}
	for _, f := range p.files {
		if _, _, err := merge(f.kind, f.path, f.data, order, none); err != nil {
			var amb *AmbiguousError
			if errors.As(err, &amb) {
				amb.Line = lineOf(f.old, amb.Header, amb.Line)
				amb.Reason = "is indented: once the profile written before it is removed again (aws-oidc cleanup), " +
					"the AWS CLI would read it as part of the value above it"
			}
			return nil, err
		}
	}
	return p, nil
}

// lineOf is the line number of the header in data, or def when it is not
// found.
func lineOf(data []byte, header string, def int) int {
	for i, b := range scan(splitLines(string(data))) {
		if i > 0 && b.header == header {
			return b.start + 1
		}
	}
	return def
}

// PrepareRemove checks both files and renders them without the sections of
// names, without writing either.
func PrepareRemove(files Files, names []string) (*Pending, error) {
	for _, n := range names {
		if err := ValidateName(n); err != nil {
			return nil, err
		}
	}
	none := map[string]string{}
	for _, n := range names {
		none[n] = ""
	}
	p, err := prepare(files, slices.Clone(names), none, none)
	if err != nil {
		return nil, err
	}
	// Taking our sections out leaves the rest as the user had it, its
	// mode included (a 0644 config file of theirs stays 0644).
	for i := range p.files {
		f := &p.files[i]
		if !f.existed {
			continue
		}
		if info, err := os.Stat(f.path); err == nil {
			f.perm = info.Mode().Perm()
		}
	}
	return p, nil
}

// prepare reads both files and replaces the sections of the profiles in
// order by their rendering in creds and config ("" removes a section).
func prepare(files Files, order []string, creds, config map[string]string) (*Pending, error) {
	p := &Pending{}
	found := map[string]bool{}
	for i, f := range []struct {
		kind     fileKind
		path     string
		sections map[string]string
	}{{kindCredentials, files.Credentials, creds}, {kindConfig, files.Config, config}} {
		old, existed, err := read(f.path)
		if err != nil {
			return nil, err
		}
		data, got, err := merge(f.kind, f.path, old, order, f.sections)
		if err != nil {
			return nil, err
		}
		for _, n := range got {
			found[n] = true
		}
		p.files[i] = pendingFile{kind: f.kind, path: f.path, old: old, existed: existed, data: data,
			changed: !existed || string(data) != string(old), perm: fileMode}
		if !existed && len(data) == 0 {
			// Nothing to remove from a file that is not there.
			p.files[i].changed = false
		}
	}
	for _, n := range order {
		if found[n] {
			p.found = append(p.found, n)
		}
	}
	return p, nil
}

// Found lists the profiles that were in either file, in the order given.
func (p *Pending) Found() []string { return p.found }

// Write replaces both files, each atomically; a file that would not change
// is left alone. When the second file cannot be written, the first is put
// back as it was.
func (p *Pending) Write() error {
	for i := range p.files {
		f := &p.files[i]
		if !f.changed {
			continue
		}
		if f.existed {
			f.saved = atomicfile.Save(f.path)
		}
		if err := atomicfile.Write(f.path, f.data, f.perm); err != nil {
			p.Undo()
			return fmt.Errorf("failed to write the AWS %s file: %w", f.kind, err)
		}
		f.written = true
	}
	return nil
}

// Undo puts back every file Write replaced, as Prepare found it: content,
// mode and owner where this process may. It is for
// a caller whose later output failed after Write succeeded.
func (p *Pending) Undo() {
	for i := len(p.files) - 1; i >= 0; i-- {
		f := &p.files[i]
		if !f.written {
			continue
		}
		if f.existed {
			if f.saved != nil {
				_ = f.saved.Restore(f.path, f.old)
			} else {
				_ = atomicfile.Write(f.path, f.old, fileMode)
			}
		} else {
			_ = os.Remove(f.path)
		}
		f.written = false
	}
}

// Paths lists the two files, for callers that lock them.
func (f Files) Paths() []string { return []string{f.Config, f.Credentials} }

func read(path string) ([]byte, bool, error) {
	b, ok, err := atomicfile.ReadExisting(path, maxFileBytes)
	if err != nil {
		return nil, false, fmt.Errorf("failed to read %q: %w", path, err)
	}
	return b, ok, nil
}
