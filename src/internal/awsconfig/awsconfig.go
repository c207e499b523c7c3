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

// profileChars reports whether name is one or more of A-Za-z0-9_.+@-,
// checked byte by byte so that no regexp is compiled at start-up.
func profileChars(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.+@-", c) >= 0) {
			return false
		}
	}
	return name != ""
}

// IsName is the one rule for a profile name: 1 to 64 of A-Za-z0-9_.+@-
// (ReservedName apart, see ValidateName), for --profile and the roles
// file's profile: alike.
func IsName(name string) bool { return len(name) <= 64 && profileChars(name) }

// ReservedName is the one section name Python's configparser (and so the
// AWS CLI, which reads both files with it) treats specially: its
// DEFAULTSECT. A [DEFAULT] section's keys are defaults for every other
// section, so credentials written under it would become every profile's.
// Only this exact spelling is special; "default" is the ordinary default
// profile.
const ReservedName = "DEFAULT"

// ValidateName checks a profile name. The AWS CLI accepts more, but a name
// that is also safe in a shell, a file name and a Terraform string avoids
// surprises. ReservedName is refused.
func ValidateName(name string) error {
	if !IsName(name) {
		return &exchange.FieldError{Field: "profile", Msg: fmt.Sprintf("%q must be 1 to 64 letters, digits and _.+@- (for example prod)", name)}
	}
	if name == ReservedName {
		return &exchange.FieldError{Field: "profile", Msg: reservedMsg}
	}
	return nil
}

// reservedMsg explains the refusal of ReservedName.
const reservedMsg = `"DEFAULT" is reserved: the AWS CLI reads a [DEFAULT] section as defaults for every profile, ` +
	`so its credentials would become every other profile's; use "default" for the default profile, or another name`

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

// merge returns existing with the sections of the profiles in order
// replaced by their rendering in sections, at the place of the first one,
// or appended; a profile rendered "" loses its sections. A profile's
// section given more than once (which the AWS CLI refuses to read) is
// written once. Every line outside those sections is kept byte for byte.
// It also returns the profiles it found.
func merge(kind fileKind, path string, existing []byte, order []string, sections map[string]string) ([]byte, []string, error) {
	lines := splitLines(string(existing))
	blocks := scan(lines)
	for i, b := range blocks {
		if b.preamble {
			continue
		}
		next := len(lines)
		if i+1 < len(blocks) {
			next = blocks[i+1].start
		}
		strict, loose := profileName(kind, b.header), looseProfileName(kind, b.header)
		_, ours := sections[strict]
		_, looksOurs := sections[loose]
		switch {
		case !ours && looksOurs:
			return nil, nil, &AmbiguousError{Path: path, config: kind == kindConfig, Line: b.start + 1, Header: b.header, Profile: loose,
				Reason: fmt.Sprintf("is read by the AWS CLI as %s, by some SDKs as profile %q", describe(strict, b.header), loose)}
		case ours && b.headerLikeValue:
			return nil, nil, &AmbiguousError{Path: path, config: kind == kindConfig, Line: b.start + 1, Header: b.header, Profile: strict,
				Reason: "holds an indented line that looks like a section header: the AWS CLI reads it as part of a value, some SDKs as a section"}
		case ours && !marked(lines[b.start+1:next]):
			return nil, nil, &ForeignError{Path: path, config: kind == kindConfig, Line: b.start + 1, Profile: strict}
		}
	}

	var out strings.Builder
	var found []string
	emit := func(from, to int) {
		for _, l := range lines[from:to] {
			out.WriteString(l.raw)
		}
	}
	for i, b := range blocks {
		next := len(lines)
		if i+1 < len(blocks) {
			next = blocks[i+1].start
		}
		name := profileName(kind, b.header)
		if _, ours := sections[name]; b.preamble || !ours {
			emit(b.start, next)
			continue
		}
		if !slices.Contains(found, name) {
			found = append(found, name)
			// An indented header after our section stays a header only if
			// our settings are indented no less (see scan).
			indent := 0
			for _, nb := range blocks[i+1:] {
				if _, ours := sections[profileName(kind, nb.header)]; !ours {
					indent = indentOf(lines[nb.start].text)
					break
				}
			}
			out.WriteString(indentBody(sections[name], indent))
		}
		// The blank and comment lines after the section stay, but for our
		// mark (after a section of a header alone, it follows the end).
		for _, l := range lines[b.end+1 : next] {
			if !isMarker(l.text) {
				out.WriteString(l.raw)
			}
		}
	}
	for _, name := range order {
		if slices.Contains(found, name) || sections[name] == "" {
			continue
		}
		if s := out.String(); s != "" && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\r") {
			out.WriteString("\n")
		}
		out.WriteString(sections[name])
	}
	result := []byte(out.String())
	if err := checkSameOthers(kind, path, blocks, result, sections); err != nil {
		return nil, nil, err
	}
	return result, found, nil
}

// Marker is the comment line under the header of every section aws-oidc
// writes: the AWS CLI and the SDKs skip it, and it is how a later run tells
// a section it may replace or remove from one of the user's (static keys a
// person put in [default], a profile of another tool), which it leaves
// alone.
const Marker = "# aws-oidc: written by aws-oidc assume; aws-oidc cleanup removes this section"

// markerPrefix is what makes a line our mark, whatever follows.
const markerPrefix = "# aws-oidc:"

func isMarker(text string) bool {
	return strings.HasPrefix(strings.TrimLeft(text, " \t"), markerPrefix)
}

// marked reports whether a section's lines (after its header, up to the
// next header) hold our mark.
func marked(lines []lineInfo) bool {
	return slices.ContainsFunc(lines, func(l lineInfo) bool { return isMarker(l.text) })
}

// ForeignError is a section of a profile the run would replace or remove
// that aws-oidc did not write: it has no Marker line. Nothing is written.
type ForeignError struct {
	Path    string
	config  bool
	Line    int
	Profile string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("%s line %d: the section [%s] was not written by aws-oidc (it has no %q line); refusing to replace or remove it",
		e.Path, e.Line, sectionFor(e.Profile, e.config), markerPrefix)
}

// Hint says how to go on without losing what the section holds.
func (e *ForeignError) Hint() string {
	return fmt.Sprintf("profile %q holds settings or keys of someone else's: name another profile with --profile or the roles file's profile:, "+
		"or, if aws-oidc may take it over, move what it holds elsewhere and delete the section from %s", e.Profile, e.Path)
}

// indentOf counts the characters before the first non-blank one, as
// configparser does.
func indentOf(text string) int {
	n := 0
	for _, r := range text {
		if !isPySpace(r) {
			break
		}
		n++
	}
	return n
}

// indentBody indents every line of a rendered section but its header.
func indentBody(section string, indent int) string {
	if indent == 0 || section == "" {
		return section
	}
	header, body, _ := strings.Cut(section, "\n")
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, l := range strings.SplitAfter(body, "\n") {
		if l != "" {
			b.WriteString(pad + l)
		}
	}
	return b.String()
}

// checkSameOthers reads the result back as the AWS CLI would and makes sure
// that every section not ours is still a section, in the same order, and
// that each profile written is there once and each removed one is gone.
// Removing a section can make an indented header after it part of the
// value before it; such a file is refused rather than changed.
func checkSameOthers(kind fileKind, path string, blocks []block, result []byte, sections map[string]string) error {
	var before []block
	for _, b := range blocks[1:] {
		if _, ours := sections[profileName(kind, b.header)]; !ours {
			before = append(before, b)
		}
	}
	var after []string
	count := map[string]int{}
	for _, b := range scan(splitLines(string(result)))[1:] {
		name := profileName(kind, b.header)
		if _, ours := sections[name]; ours {
			count[name]++
			continue
		}
		after = append(after, b.header)
	}
	for i, b := range before {
		if i >= len(after) || after[i] != b.header {
			return &AmbiguousError{Path: path, config: kind == kindConfig, Line: b.start + 1, Header: b.header, Profile: profileName(kind, b.header),
				Reason: "would become part of the value above it once the section before it changes (it is indented)"}
		}
	}
	for name, s := range sections {
		want := 0
		if s != "" {
			want = 1
		}
		if count[name] != want || len(after) != len(before) {
			return fmt.Errorf("internal error: %s would not read back as written for profile %q; nothing was written", path, name)
		}
	}
	return nil
}

func describe(profile, header string) string {
	if profile == "" {
		return fmt.Sprintf("the section %q, which is no profile", header)
	}
	return fmt.Sprintf("profile %q", profile)
}
