package output

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// GitLab parses a dotenv report line by line (KEY=VALUE, key before the
// first '=', ASCII whitespace stripped around both) and rejects the whole
// upload when any line, the size or the variable count is wrong; the later
// jobs then get no variables at all. So everything below is checked before a
// byte is written. The rules are restated in REFERENCE.md §1.
const (
	// maxKeyLength is the length limit of GitLab's Ci::JobVariable key.
	maxKeyLength = 255
	// DefaultDotenvMaxBytes is GitLab's default dotenv_size plan limit; a
	// report must be strictly smaller.
	DefaultDotenvMaxBytes = 5120
	// DefaultDotenvMaxVars is GitLab's default dotenv_variables plan limit on
	// self-managed instances (GitLab.com allows 50, 100 or 150 by tier).
	DefaultDotenvMaxVars = 20
	// dotenvMode keeps credentials readable by the job's user only.
	dotenvMode = 0o600
)

// DotenvLimits are the instance limits a dotenv report must respect.
type DotenvLimits struct {
	// MaxBytes is the dotenv_size limit: the file must be strictly smaller.
	MaxBytes int
	// MaxVars is the dotenv_variables limit: the file may hold at most this
	// many distinct variables.
	MaxVars int
}

// DefaultDotenvLimits returns the limits of a self-managed GitLab instance
// with default settings, the strictest common case.
func DefaultDotenvLimits() DotenvLimits {
	return DotenvLimits{MaxBytes: DefaultDotenvMaxBytes, MaxVars: DefaultDotenvMaxVars}
}

// DotenvRule names the GitLab dotenv rule that a file or a variable breaks.
type DotenvRule string

const (
	// RuleFormat: a blank line, a line without '=', a comment or a carriage
	// return.
	RuleFormat DotenvRule = "format"
	// RuleEncoding: a byte order mark, invalid UTF-8 or a NUL byte.
	RuleEncoding DotenvRule = "encoding"
	// RuleKey: a variable name GitLab does not accept.
	RuleKey DotenvRule = "key"
	// RuleValue: a value GitLab would reject or silently change.
	RuleValue DotenvRule = "value"
	// RuleDuplicate: the same name twice.
	RuleDuplicate DotenvRule = "duplicate"
	// RuleSize: the file reaches the dotenv_size limit.
	RuleSize DotenvRule = "size"
	// RuleCount: the file holds more variables than dotenv_variables allows.
	RuleCount DotenvRule = "count"
)

// DotenvError reports a dotenv file or variable that GitLab would reject.
// It never holds a variable's value.
type DotenvError struct {
	// Path is the dotenv file, when the error concerns one.
	Path string
	// Line is the 1-based line of an existing file, or 0.
	Line int
	// Key is the variable concerned, or "" when there is none or when the
	// text in the name position of a malformed line could be a secret.
	Key string
	// Rule is the rule that was broken.
	Rule DotenvRule
	// Reason says what is wrong, for people.
	Reason string
	// Fix says what the user can do about it, when that names no setting
	// of the tool; else fixFor says it (see HintFor).
	Fix    string
	fixFor func(exchange.Names) string
}

func (e *DotenvError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		fmt.Fprintf(&b, "dotenv file %q", e.Path)
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if e.Key != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		fmt.Fprintf(&b, "variable %q", shorten(e.Key))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Hint returns what the user can do about the error.
func (e *DotenvError) Hint() string { return e.HintFor(exchange.Flags) }

// HintFor is Hint naming the tool's settings as n does.
func (e *DotenvError) HintFor(n exchange.Names) string {
	if e.fixFor != nil {
		return e.fixFor(n)
	}
	return e.Fix
}

// shorten keeps names readable in messages when a caller passes something huge.
func shorten(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

const (
	fixKey   = "use only letters, digits and _ in variable names and in the prefix, at most 255 characters"
	fixValue = "dotenv cannot carry this value; use --output shell or --output github instead"
)

func fixExisting(n exchange.Names) string {
	return "fix or remove the existing file (another job step may have written it), or write to " + n.Another("dotenv-file")
}

func fixDuplicate(n exchange.Names) string {
	return "give each variable once; for several roles use a different " + n.Flag("prefix") + " for each"
}

func fixCount(n exchange.Names) string {
	return "write fewer roles into one dotenv file (split them across jobs), or, if your instance allows more " +
		"(GitLab.com: 50, 100 or 150 by tier; self-managed: the dotenv_variables plan limit), raise " + n.Flag("dotenv-max-variables") + " to match"
}

func fixSize(n exchange.Names) string {
	return "use a shorter " + n.Flag("prefix") + ", or write fewer roles into one dotenv file (split them across jobs); " +
		"the session tokens' length is set by AWS and cannot be shortened"
}

// TooManyVariables is a dotenv file at path that would hold more variables
// than the instance allows, for the reason given.
func TooManyVariables(path, reason string) *DotenvError {
	return &DotenvError{Path: path, Rule: RuleCount, Reason: reason, fixFor: fixCount}
}

// ValidateKey checks a variable name against GitLab's rule for dotenv keys:
// ^[A-Za-z0-9_]+$, 1 to 255 characters.
func ValidateKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return &DotenvError{Key: key, Rule: RuleKey, Reason: reason, Fix: fixKey}
	}
	return nil
}

// keyProblem says what is wrong with a name, without quoting the name, or
// returns "".
func keyProblem(key string) string {
	if key == "" {
		return "the name is empty"
	}
	if strings.HasPrefix(key, "export ") {
		return `the name starts with "export ", which GitLab takes as part of the name`
	}
	for i, r := range key {
		if !isKeyRune(r) {
			pos := utf8.RuneCountInString(key[:i]) + 1
			return fmt.Sprintf("the name holds %s at position %d; GitLab accepts only A-Z, a-z, 0-9 and _", describeRune(r), pos)
		}
	}
	if len(key) > maxKeyLength {
		return fmt.Sprintf("the name is %d characters long; GitLab accepts at most %d", len(key), maxKeyLength)
	}
	return ""
}

func isKeyRune(r rune) bool {
	return r == '_' || ('0' <= r && r <= '9') || ('A' <= r && r <= 'Z') || ('a' <= r && r <= 'z')
}

// describeRune names a character so that invisible ones show up in messages.
func describeRune(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "an invalid UTF-8 byte"
	case r == ' ':
		return "a space"
	case r < 0x20 || r == 0x7f || r == 0xfeff:
		return fmt.Sprintf("the control character %U", r)
	default:
		return fmt.Sprintf("%q", r)
	}
}

// ValidateValue checks a value against what GitLab accepts and keeps
// unchanged. The error names key and never holds the value.
func ValidateValue(key, value string) error {
	if rule, reason := valueProblem(value); reason != "" {
		return &DotenvError{Key: key, Rule: rule, Reason: reason, Fix: fixValue}
	}
	return nil
}

// valueProblem says what is wrong with a value, without quoting it.
func valueProblem(value string) (DotenvRule, string) {
	switch {
	case !utf8.ValidString(value):
		return RuleEncoding, "the value is not valid UTF-8"
	case strings.ContainsRune(value, 0):
		return RuleEncoding, "the value holds a NUL byte"
	case strings.ContainsAny(value, "\n\r"):
		return RuleValue, "the value spans several lines; GitLab rejects multiline values"
	case strings.ContainsRune(value, '$'):
		// Dotenv variables are not raw: a later job would expand $X inside them.
		return RuleValue, "the value holds '$', which GitLab would expand in the jobs that read it"
	case value != "" && isASCIISpace(value[0]):
		return RuleValue, "the value starts with whitespace, which GitLab strips"
	case value != "" && isASCIISpace(value[len(value)-1]):
		return RuleValue, "the value ends with whitespace, which GitLab strips"
	}
	return "", ""
}

// isASCIISpace matches what Ruby's String#strip removes, minus NUL (refused
// on its own).
func isASCIISpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// ParseDotenv reads a dotenv file by GitLab's rules, strictly: it refuses
// anything GitLab rejects, and also anything GitLab would read differently
// from how it looks (whitespace it strips, '$' it expands, a carriage return,
// a name given twice). So every file it accepts means exactly what it says,
// and writing its variables back gives the same bytes.
//
// It does not check the size and count limits; PrepareDotenv does.
func ParseDotenv(data []byte) ([]Var, error) {
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		return nil, &DotenvError{
			Line:   1,
			Rule:   RuleEncoding,
			Reason: "the file starts with a byte order mark, which GitLab takes as part of the first name",
			Fix:    "save the file as UTF-8 without a byte order mark",
		}
	}
	if len(data) == 0 {
		return nil, nil
	}
	// One final newline ends the last line; anything after it is a blank line.
	text := strings.TrimSuffix(string(data), "\n")
	lines := strings.Split(text, "\n")

	vars := make([]Var, 0, len(lines))
	seen := make(map[string]int, len(lines))
	for i, line := range lines {
		n := i + 1
		lineErr := func(rule DotenvRule, reason string) error {
			return &DotenvError{Line: n, Rule: rule, Reason: reason, fixFor: fixExisting}
		}
		switch {
		case !utf8.ValidString(line):
			return nil, lineErr(RuleEncoding, "the line is not valid UTF-8")
		case strings.ContainsRune(line, '\r'):
			return nil, lineErr(RuleFormat, "the line holds a carriage return; write Unix line endings")
		case line == "":
			return nil, lineErr(RuleFormat, "the line is blank; GitLab rejects blank lines, also at the end of the file")
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			if strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
				return nil, lineErr(RuleFormat, "the line is a comment; GitLab does not support comments")
			}
			return nil, lineErr(RuleFormat, "the line has no '='; GitLab accepts only KEY=VALUE lines")
		}
		if reason := keyProblem(key); reason != "" {
			// The name of a malformed line is not quoted: it might be part
			// of a secret that lost its line break.
			return nil, lineErr(RuleKey, reason)
		}
		if rule, reason := valueProblem(value); reason != "" {
			return nil, &DotenvError{Line: n, Key: key, Rule: rule, Reason: reason, fixFor: fixExisting}
		}
		if first, dup := seen[key]; dup {
			return nil, &DotenvError{
				Line:   n,
				Key:    key,
				Rule:   RuleDuplicate,
				Reason: fmt.Sprintf("the name is also on line %d; GitLab would keep only the last one", first),
				fixFor: fixExisting,
			}
		}
		seen[key] = n
		vars = append(vars, Var{Key: key, Value: value})
	}
	return vars, nil
}

func (l DotenvLimits) validate() error {
	if l.MaxBytes <= 0 || l.MaxVars <= 0 {
		return fmt.Errorf("invalid dotenv limits: size %d and variables %d must both be positive", l.MaxBytes, l.MaxVars)
	}
	return nil
}

// checkLimits applies the instance limits to a whole file. oldSize and
// oldCount describe the existing file the result was merged into, if any,
// so that the message can say where the bytes and variables come from.
func checkLimits(size, count int, limits DotenvLimits, oldSize, oldCount int) error {
	if count > limits.MaxVars {
		from := ""
		if oldCount > 0 {
			from = fmt.Sprintf(", %d of them already in the file", oldCount)
		}
		return &DotenvError{
			Rule: RuleCount,
			Reason: fmt.Sprintf("the file would hold %d variables%s; GitLab accepts at most %d (instance limit dotenv_variables)",
				count, from, limits.MaxVars),
			fixFor: fixCount,
		}
	}
	if size >= limits.MaxBytes {
		from := ""
		if oldSize > 0 {
			from = fmt.Sprintf(" (%d of them already in the file)", oldSize)
		}
		return &DotenvError{
			Rule: RuleSize,
			Reason: fmt.Sprintf("the file would be %d bytes%s; GitLab accepts only files smaller than %d bytes (instance limit dotenv_size)",
				size, from, limits.MaxBytes),
			fixFor: fixSize,
		}
	}
	return nil
}

// PrepareDotenv merges vars into the dotenv file at path and returns the
// checked result, to be written atomically with mode 0600, without writing
// it.
//
// An existing file (several roles, --prefix, another job step) is parsed
// strictly first; its lines keep their order, and a name written again is
// replaced in place, never repeated. The whole result is checked against
// every GitLab rule and limits. On any error nothing is returned to write.
//
// A caller holds atomicfile.Lock on path from before this call until after
// the commit, so two processes writing the same file at once take turns
// and neither loses the other's variables.
func PrepareDotenv(path string, vars []Var, limits DotenvLimits) (*atomicfile.Replacement, error) {
	if err := limits.validate(); err != nil {
		return nil, err
	}
	if err := checkNewVars(vars); err != nil {
		return nil, withPath(err, path)
	}

	existing, existed, err := atomicfile.ReadExisting(path, int64(limits.MaxBytes))
	if err != nil {
		var refused *atomicfile.RefusedError
		if errors.As(err, &refused) && refused.Reason == atomicfile.ReasonTooLarge {
			return nil, &DotenvError{
				Path: path,
				Rule: RuleSize,
				Reason: fmt.Sprintf("the existing file is already larger than %d bytes; GitLab accepts only smaller files (instance limit dotenv_size)",
					limits.MaxBytes),
				fixFor: fixExisting,
			}
		}
		if errors.As(err, &refused) {
			// Already names the path and the refusal; the caller adds context.
			return nil, err
		}
		return nil, fmt.Errorf("failed to read the existing dotenv file: %w", err)
	}

	data, err := mergeDotenv(existing, vars, limits)
	if err != nil {
		return nil, withPath(err, path)
	}
	return &atomicfile.Replacement{Path: path, Data: data, Perm: dotenvMode, Old: existing, Existed: existed}, nil
}

// checkNewVars validates the variables we are about to write.
func checkNewVars(vars []Var) error {
	seen := make(map[string]bool, len(vars))
	for _, v := range vars {
		if err := ValidateKey(v.Key); err != nil {
			return err
		}
		if err := ValidateValue(v.Key, v.Value); err != nil {
			return err
		}
		if seen[v.Key] {
			return &DotenvError{Key: v.Key, Rule: RuleDuplicate, Reason: "the name is given twice", fixFor: fixDuplicate}
		}
		seen[v.Key] = true
	}
	return nil
}

// mergeDotenv returns the file that results from writing vars over existing,
// after checking it in full. vars must have passed checkNewVars.
func mergeDotenv(existing []byte, vars []Var, limits DotenvLimits) ([]byte, error) {
	merged, err := ParseDotenv(existing)
	if err != nil {
		return nil, err
	}
	oldCount := len(merged)
	index := make(map[string]int, len(merged)+len(vars))
	for i, v := range merged {
		index[v.Key] = i
	}
	for _, v := range vars {
		if i, ok := index[v.Key]; ok {
			merged[i] = v
			continue
		}
		index[v.Key] = len(merged)
		merged = append(merged, v)
	}

	var b bytes.Buffer
	for _, v := range merged {
		b.WriteString(v.Key)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	data := b.Bytes()
	if err := checkLimits(len(data), len(merged), limits, len(existing), oldCount); err != nil {
		return nil, err
	}

	// Read the result back as GitLab will. This cannot fail when the checks
	// above are right; if it ever does, refusing beats uploading a report
	// that silently loses every variable.
	back, err := ParseDotenv(data)
	if err != nil || !slices.EqualFunc(back, merged, func(a, b Var) bool { return a.Key == b.Key && a.Value == b.Value }) {
		return nil, errors.New("internal error: the merged dotenv file does not read back as written")
	}
	return data, nil
}

// withPath adds the file name to a *DotenvError.
func withPath(err error, path string) error {
	var de *DotenvError
	if errors.As(err, &de) {
		c := *de
		c.Path = path
		return &c
	}
	return err
}
