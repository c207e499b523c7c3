package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// githubDelimiter is the fixed heredoc delimiter go-githubactions v1.4.0 uses
// for GITHUB_ENV and GITHUB_OUTPUT ("NAME<<DELIM\nVALUE\nDELIM\n"). A value
// holding a line break followed by it would end the heredoc early and inject
// further variables (for example NODE_OPTIONS or a second PATH), so values
// with line breaks or the delimiter are refused before anything is written.
const githubDelimiter = "_GitHubActionsFileCommandDelimeter_"

// The step outputs PrepareGitHub's callers set, in the order they are written.
const (
	OutputAccountID            = "aws-account-id"
	OutputRoleARN              = "aws-role-arn"
	OutputAccessKeyID          = "aws-access-key-id"
	OutputSecretAccessKey      = "aws-secret-access-key"
	OutputSessionToken         = "aws-session-token"
	OutputRegion               = "aws-region"
	OutputCredentialExpiration = "aws-credential-expiration"
)

var outputOrder = []string{
	OutputAccountID, OutputRoleARN, OutputAccessKeyID, OutputSecretAccessKey,
	OutputSessionToken, OutputRegion, OutputCredentialExpiration,
}

// maskedOutputs are the outputs whose values are masked even when the caller
// passes no matching variable.
var maskedOutputs = []string{OutputAccessKeyID, OutputSecretAccessKey, OutputSessionToken}

// validOutputName is GitHub's rule for output ids: a letter or _, then
// letters, digits, - and _ ([A-Za-z_][A-Za-z0-9_-]*), checked byte by byte
// so that no regexp is compiled at start-up.
func validOutputName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && ('0' <= c && c <= '9' || c == '-')) {
			return false
		}
	}
	return s != ""
}

// GitHubOutputs returns the step outputs for one role session. Outputs whose
// value is unknown (an empty account id, for example) are left out. The
// role ARN is the assumed role's IAM ARN, falling back to the sts
// assumed-role ARN when the role was not given.
func GitHubOutputs(c exchange.Credentials, s exchange.Session) map[string]string {
	roleARN := s.RoleARN
	if roleARN == "" {
		roleARN = s.AssumedRoleARN
	}
	all := map[string]string{
		OutputAccountID:            s.AccountID,
		OutputRoleARN:              roleARN,
		OutputAccessKeyID:          c.AccessKeyID,
		OutputSecretAccessKey:      c.SecretAccessKey,
		OutputSessionToken:         c.SessionToken,
		OutputRegion:               s.Region,
		OutputCredentialExpiration: formatExpiration(c.Expiration),
	}
	for k, v := range all {
		if v == "" {
			delete(all, k)
		}
	}
	return all
}

// GitHubPending is a checked set of GitHub command file lines, ready to be
// appended.
type GitHubPending struct {
	getenv  func(string) string
	vars    []Var
	outputs map[string]string
	names   []string
	masks   []string
	// hidden are the values no error may show.
	hidden []string
	files  []commandFile
}

// commandFile is GITHUB_ENV or GITHUB_OUTPUT as PrepareGitHub found it, so
// that Undo can cut it back.
type commandFile struct {
	path    string
	existed bool
	size    int64
}

// PrepareGitHub checks every name and value (so an injection is impossible,
// not just unlikely) and that GITHUB_ENV and GITHUB_OUTPUT name files this
// step can append to, and renders the masks. It writes nothing.
//
// Commit appends every var to GITHUB_ENV and every entry of outputs (see
// GitHubOutputs) to GITHUB_OUTPUT. The runner reads both files when the
// step ends, so the masks (Masks, printed on stdout) only have to come
// before the step's end and any later log line; they must be printed
// whenever Commit succeeded.
func PrepareGitHub(getenv func(string) string, vars []Var, outputs map[string]string) (*GitHubPending, error) {
	for _, v := range vars {
		if reason := githubNameProblem(v.Key); reason != "" {
			return nil, &VarError{Format: "github", Key: v.Key, Reason: reason}
		}
		if reason := githubValueProblem(v.Value); reason != "" {
			return nil, &VarError{Format: "github", Key: v.Key, Reason: reason}
		}
	}
	names := orderedOutputNames(outputs)
	for _, name := range names {
		if !validOutputName(name) {
			return nil, &VarError{Format: "github", Output: true, Key: name, Reason: "an output name must start with a letter or _ and hold only letters, digits, - and _"}
		}
		if strings.Contains(name, githubDelimiter) {
			return nil, &VarError{Format: "github", Output: true, Key: name, Reason: "the name holds the environment file's delimiter"}
		}
		if reason := githubValueProblem(outputs[name]); reason != "" {
			return nil, &VarError{Format: "github", Output: true, Key: name, Reason: reason}
		}
	}

	p := &GitHubPending{getenv: getenv, vars: vars, outputs: outputs, names: names}
	if len(vars) > 0 {
		f, err := checkCommandFile(getenv, "GITHUB_ENV")
		if err != nil {
			return nil, err
		}
		p.files = append(p.files, f)
	}
	if len(names) > 0 {
		f, err := checkCommandFile(getenv, "GITHUB_OUTPUT")
		if err != nil {
			return nil, err
		}
		if len(p.files) == 0 || p.files[0].path != f.path {
			p.files = append(p.files, f)
		}
	}
	p.masks = maskValues(vars, outputs)
	// Everything masked stays out of errors too, access key ids included.
	p.hidden = append(secretValues(vars, outputs), p.masks...)
	return p, nil
}

// CheckGitHubFiles checks, as PrepareGitHub does, that GITHUB_ENV (env) and
// GITHUB_OUTPUT (out) name files this step can append to, for a caller
// that wants to know before it has anything to write.
func CheckGitHubFiles(getenv func(string) string, env, out bool) error {
	for _, f := range []struct {
		name string
		want bool
	}{{"GITHUB_ENV", env}, {"GITHUB_OUTPUT", out}} {
		if f.want {
			if _, err := checkCommandFile(getenv, f.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// Masks renders the ::add-mask:: commands for stdout.
func (p *GitHubPending) Masks() ([]byte, error) {
	var b bytes.Buffer
	a := githubactions.New(githubactions.WithWriter(&b), githubactions.WithGetenv(p.getenv))
	err := recoverPanic(p.hidden, func() {
		for _, s := range p.masks {
			a.AddMask(s)
		}
	})
	return b.Bytes(), err
}

// Commit appends the lines. go-githubactions panics when it cannot write;
// the panic is recovered and returned as an error without any secret in
// it, and whatever was appended is cut off again (Undo).
func (p *GitHubPending) Commit() error {
	// A file whose last line has no line break (a step's own printf
	// without \n) would glue our first line onto it: EXISTING=1AWS_...
	// The break is added first; Undo cuts it off again with the rest.
	for _, f := range p.files {
		if err := endLine(f); err != nil {
			p.Undo()
			return err
		}
	}
	a := githubactions.New(githubactions.WithWriter(io.Discard), githubactions.WithGetenv(p.getenv))
	err := recoverPanic(p.hidden, func() {
		for _, v := range p.vars {
			a.SetEnv(v.Key, v.Value)
		}
		for _, name := range p.names {
			a.SetOutput(name, p.outputs[name])
		}
	})
	if err != nil {
		p.Undo()
	}
	return err
}

// endLine appends a line break to f when its last byte is not one.
func endLine(f commandFile) error {
	if !f.existed || f.size == 0 {
		return nil
	}
	r, err := os.Open(f.path)
	if err != nil {
		// A file this step may append to but not read: it cannot be
		// checked, and is appended to as before.
		return nil
	}
	last := make([]byte, 1)
	_, err = r.ReadAt(last, f.size-1)
	_ = r.Close()
	if err != nil || last[0] == '\n' {
		return nil
	}
	h, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("failed to open %q: %w", f.path, err)
	}
	defer h.Close()
	if _, err := h.Write([]byte("\n")); err != nil {
		return fmt.Errorf("failed to write %q: %w", f.path, err)
	}
	return nil
}

// Undo cuts GITHUB_ENV and GITHUB_OUTPUT back to the size PrepareGitHub
// found, or removes them when they did not exist: only this step writes
// them while it runs.
func (p *GitHubPending) Undo() {
	for _, f := range p.files {
		if f.existed {
			_ = os.Truncate(f.path, f.size)
		} else {
			_ = os.Remove(f.path)
		}
	}
}

// githubNameProblem says why a variable name cannot go into GITHUB_ENV. The
// delimiter inside a name could not end the heredoc (it is never alone on a
// line), but a name holding it has no business here either.
func githubNameProblem(key string) string {
	if reason := keyProblem(key); reason != "" {
		return reason
	}
	if strings.Contains(key, githubDelimiter) {
		return "the name holds the environment file's delimiter"
	}
	return ""
}

// githubValueProblem says why a value cannot go into a GitHub command file.
func githubValueProblem(value string) string {
	switch {
	case !utf8.ValidString(value):
		return "the value is not valid UTF-8"
	case strings.ContainsRune(value, 0):
		return "the value holds a NUL byte"
	case strings.ContainsAny(value, "\n\r"):
		return "the value spans several lines, which could inject variables into the GitHub environment file"
	case strings.Contains(value, githubDelimiter):
		return "the value holds the environment file's delimiter, which could inject variables"
	}
	return ""
}

// orderedOutputNames lists the known outputs in their documented order, then
// any others sorted, so that the files are the same on every run.
func orderedOutputNames(outputs map[string]string) []string {
	names := make([]string, 0, len(outputs))
	for _, name := range outputOrder {
		if _, ok := outputs[name]; ok {
			names = append(names, name)
		}
	}
	var rest []string
	for name := range outputs {
		if !slices.Contains(outputOrder, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}

// checkCommandFile makes sure the runner gave us a file to append to, so
// that the library's panic on a missing or unwritable file cannot strike
// halfway, and records its size. It appends nothing and does not create
// the file. Every refusal is a *atomicfile.RefusedError: the step's
// configuration is wrong.
func checkCommandFile(getenv func(string) string, name string) (commandFile, error) {
	path := getenv(name)
	refuse := func(reason atomicfile.Reason, detail, fix string) (commandFile, error) {
		return commandFile{}, &atomicfile.RefusedError{Path: path, Reason: reason,
			Detail: fmt.Sprintf("%s: %s", name, detail), Fix: fix}
	}
	const fix = "run this in a GitHub Actions step, whose runner sets GITHUB_ENV and GITHUB_OUTPUT to files, or choose another --output"
	if path == "" {
		path = "$" + name
		return refuse(atomicfile.ReasonEmpty, "the variable is not set: the runner gave no command file", fix)
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// The library creates the file; its directory must exist.
		if dirInfo, err := os.Stat(filepath.Dir(path)); err != nil || !dirInfo.IsDir() {
			return refuse(atomicfile.ReasonNoParent, fmt.Sprintf("its directory %q does not exist", filepath.Dir(path)), fix)
		}
		probe, err := os.CreateTemp(filepath.Dir(path), ".aws-oidc-probe-*")
		if err != nil {
			return refuse(atomicfile.ReasonNotWritable, fmt.Sprintf("no file can be created in its directory %q", filepath.Dir(path)), fix)
		}
		_ = probe.Close()
		_ = os.Remove(probe.Name())
		return commandFile{path: path}, nil
	case err != nil:
		return commandFile{}, fmt.Errorf("failed to inspect %s %q: %w", name, path, err)
	case info.IsDir():
		return refuse(atomicfile.ReasonDirectory, "it is a directory", fix)
	case !info.Mode().IsRegular():
		return refuse(atomicfile.ReasonNotRegular, "it is not a regular file", fix)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return refuse(atomicfile.ReasonNotWritable, fmt.Sprintf("it is not writable: %v", errors.Unwrap(err)), fix)
	}
	_ = f.Close()
	return commandFile{path: path, existed: true, size: info.Size()}, nil
}

// isAccessKeyIDVar reports whether v holds an access key id, with or without
// a prefix. Key ids are not secret, but masking them keeps them out of logs
// as the other tools of this kind do.
func isAccessKeyIDVar(v Var) bool {
	return strings.HasSuffix(v.Key, KeyAccessKeyID)
}

// maskValues lists every value to mask, once each, in a stable order.
func maskValues(vars []Var, outputs map[string]string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, v := range vars {
		if v.Secret || isAccessKeyIDVar(v) {
			add(v.Value)
		}
	}
	for _, name := range maskedOutputs {
		add(outputs[name])
	}
	return out
}

// secretValues lists the values that must never appear in an error.
func secretValues(vars []Var, outputs map[string]string) []string {
	var out []string
	for _, v := range vars {
		if v.Secret && v.Value != "" {
			out = append(out, v.Value)
		}
	}
	for _, name := range []string{OutputSecretAccessKey, OutputSessionToken} {
		if s := outputs[name]; s != "" {
			out = append(out, s)
		}
	}
	return out
}

// recoverPanic runs fn and turns a panic into an error, with every value of
// hidden scrubbed from its text.
func recoverPanic(hidden []string, fn func()) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		cause, ok := r.(error)
		if !ok {
			cause = fmt.Errorf("%v", r)
		}
		msg := cause.Error()
		clean := msg
		for _, s := range hidden {
			clean = strings.ReplaceAll(clean, s, "[redacted]")
		}
		if clean != msg {
			// Keep no reference to the original: its text holds a secret.
			cause = errors.New(clean)
		}
		err = fmt.Errorf("go-githubactions failed: %w", cause)
	}()
	fn()
	return nil
}
