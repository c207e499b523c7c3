package awsconfig

import (
	"fmt"
	"strings"
	"unicode"
)

// This file reads the section structure of an AWS config or credentials
// file the way the AWS CLI does: botocore hands the file to Python's
// configparser.RawConfigParser and then names profiles from the section
// names (botocore/configloader.py, build_profile_map). Only the structure
// is read, never a value: every line keeps its bytes, and only the lines
// of the sections a run owns are ever replaced or removed.
//
// The rules that matter, restated from configparser:
//   - lines end at "\n", "\r\n" or a lone "\r" (Python's universal newlines);
//   - a line whose stripped text starts with '#' or ';' is a comment, and a
//     blank line does not end the value before it;
//   - an indented line after an option line is part of that option's value,
//     even when it looks like a section header;
//   - otherwise a stripped line that starts with '[' and holds a later ']' is
//     a section header, named by everything between the first '[' and the
//     last ']': "[prod] # keep" names the section "prod", and "[ prod ]"
//     names it " prod ", spaces included;
//   - a line that is none of these and holds '=' or ':' is an option line.

// lineInfo is one physical line of a file.
type lineInfo struct {
	// raw is the line with its line break, exactly as in the file.
	raw string
	// text is the line without its line break.
	text string
}

// block is a section of a file, or the lines before the first section.
type block struct {
	// header is the section name as the AWS CLI reads it; "" for the
	// lines before the first section (the preamble).
	header   string
	preamble bool
	// start is the index of the header line, end the index of the last
	// line that belongs to the section's content (a header, option,
	// continuation or unreadable line). Blank and comment lines after end
	// and before the next section are not part of it: they usually speak
	// of the section that follows, so they stay when this one is replaced.
	start, end int
	// headerLikeValue is true when an indented value line of this section
	// looks like a section header: some readers take it for one.
	headerLikeValue bool
}

// splitLines cuts data into lines at "\n", "\r\n" and "\r".
func splitLines(data string) []lineInfo {
	var lines []lineInfo
	for len(data) > 0 {
		i := strings.IndexAny(data, "\r\n")
		if i < 0 {
			lines = append(lines, lineInfo{raw: data, text: data})
			break
		}
		n := i + 1
		if data[i] == '\r' && n < len(data) && data[n] == '\n' {
			n++
		}
		lines = append(lines, lineInfo{raw: data[:n], text: data[:i]})
		data = data[n:]
	}
	return lines
}

// isPySpace reports what Python's str.isspace() does for r: Unicode white
// space, plus the separators U+001C to U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// scan splits lines into blocks by configparser's rules.
func scan(lines []lineInfo) []block {
	blocks := []block{{preamble: true, start: 0, end: -1}}
	cur := &blocks[0]
	inSection := false
	hasOption := false
	indent := -1 // the indent of the last header or option line; -1: none
	for i, l := range lines {
		value := pyStrip(l.text)
		if value == "" || value[0] == '#' || value[0] == ';' {
			continue
		}
		lineIndent := strings.IndexFunc(l.text, func(r rune) bool { return !isPySpace(r) })
		if inSection && hasOption && indent >= 0 && lineIndent > indent {
			// A continuation of the option above.
			cur.end = i
			if _, ok := sectionHeader(value); ok {
				cur.headerLikeValue = true
			}
			continue
		}
		indent = lineIndent
		if name, ok := sectionHeader(value); ok {
			blocks = append(blocks, block{header: name, start: i, end: i})
			cur = &blocks[len(blocks)-1]
			inSection, hasOption = true, false
			continue
		}
		cur.end = i
		if !inSection {
			continue
		}
		// An option line needs a name before its first '=' or ':'; a line
		// without either is an error configparser reports at the end,
		// leaving the option state as it was.
		if j := strings.IndexAny(value, "=:"); j >= 0 {
			hasOption = strings.TrimRightFunc(value[:j], isPySpace) != ""
		}
	}
	return blocks
}

// sectionHeader reads configparser's section header pattern, \[(.+)\],
// matched at the start of the stripped line.
func sectionHeader(value string) (string, bool) {
	if !strings.HasPrefix(value, "[") {
		return "", false
	}
	j := strings.LastIndexByte(value, ']')
	if j < 2 {
		return "", false
	}
	return value[1:j], true
}

// fileKind tells the config file from the credentials file: they name
// profiles differently.
type fileKind int

const (
	kindCredentials fileKind = iota
	kindConfig
)

func (k fileKind) String() string {
	if k == kindConfig {
		return "config"
	}
	return "credentials"
}

// profileName returns the profile the AWS CLI reads a section as, or ""
// when it reads it as no profile. In the credentials file every section is
// a profile of exactly its name. In the config file, botocore takes a
// section whose name starts with "profile" and splits it like a shell
// (shlex.split); when that gives two words, the second is the profile
// ("[profile prod]", "[profile 'prod']"); the section "default" is the
// profile default; any other section (sso-session, services, "[prod]") is
// no profile.
func profileName(kind fileKind, header string) string {
	if kind == kindCredentials {
		return header
	}
	if strings.HasPrefix(header, "profile") {
		words, ok := shellSplit(header)
		if ok && len(words) == 2 {
			return words[1]
		}
		return ""
	}
	if header == "default" {
		return "default"
	}
	return ""
}

// looseProfileName is how a lenient reader (several SDKs trim the name and
// the space after "profile") may read a section.
func looseProfileName(kind fileKind, header string) string {
	name := strings.Join(strings.Fields(header), " ")
	if kind == kindCredentials {
		return name
	}
	if rest, ok := strings.CutPrefix(name, "profile "); ok {
		return rest
	}
	if name == "default" {
		return name
	}
	return ""
}

// shellSplit splits s into words as Python's shlex.split does in POSIX
// mode: blanks separate words, single quotes keep everything, double
// quotes keep everything but a backslash before \ or ", and a
// backslash outside quotes keeps the next character. It reports false
// where shlex raises an error (an open quote, a trailing backslash).
func shellSplit(s string) ([]string, bool) {
	var words []string
	var word strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false
			}
			i++
			word.WriteByte(s[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			word.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '"') {
					i++
				}
				word.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, true
}

// AmbiguousError reports a section that the AWS CLI and other readers would
// take for different profiles, one of them a profile the run writes or
// removes. Nothing was written when it is returned.
type AmbiguousError struct {
	Path    string
	config  bool
	Line    int
	Header  string
	Profile string
	Reason  string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s line %d: the section header [%s] %s; refusing to guess whether it is profile %q",
		e.Path, e.Line, e.Header, e.Reason, e.Profile)
}

// Hint says how to make the file unambiguous.
func (e *AmbiguousError) Hint() string {
	return fmt.Sprintf("edit %s so that the section reads exactly [%s] (or remove it), or write another profile name",
		e.Path, sectionFor(e.Profile, e.config))
}

func sectionFor(profile string, config bool) string {
	if config && profile != "default" {
		return "profile " + profile
	}
	return profile
}
