package awsconfig

import (
	"fmt"
	"slices"
	"strings"
)

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
