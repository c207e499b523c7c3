package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// Error is a failure to write one output format.
type Error struct {
	Format string
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("failed to write %s output: %v", e.Format, e.Err)
}
func (e *Error) Unwrap() error { return e.Err }

// Set is the outputs of one run, written all or nothing: prepare → commit.
// Each output is prepared in full (read, merged, checked) before it is
// added; Commit then writes the files in the order added, and stdout last.
// When one fails, the outputs already written are put back as they were,
// so a run leaves all of its outputs or none, whatever their combination.
type Set struct {
	log    *slog.Logger
	steps  []Step
	stdout []byte
}

// Step is one prepared output: Commit writes it, Undo puts back what it
// replaced.
type Step struct {
	Format string
	Commit func() error
	Undo   func()
	// Done is the log line once every output is written.
	Done string
}

// NewSet returns an empty set that logs to log.
func NewSet(log *slog.Logger) *Set { return &Set{log: log} }

// Lock locks the folders of paths ("" for none) until the returned
// function is called, so that runs sharing a dotenv or AWS config file take
// turns from the first read to the last write, and removes the temporary
// files killed runs left beside them. Call it before preparing.
func (s *Set) Lock(ctx context.Context, paths ...string) (unlock func(), err error) {
	unlock, err = atomicfile.Lock(ctx, paths...)
	if err != nil {
		return nil, &Error{Format: "file", Err: fmt.Errorf("failed to lock the output files: %w", err)}
	}
	for _, p := range paths {
		for _, stale := range atomicfile.RemoveStale(p) {
			s.log.Info(fmt.Sprintf("removed %s, a temporary file a killed run left behind", stale))
		}
	}
	return unlock, nil
}

// Add adds a prepared output.
func (s *Set) Add(st Step) { s.steps = append(s.steps, st) }

// Print adds data to what goes to stdout once every file is written.
func (s *Set) Print(data []byte) { s.stdout = append(s.stdout, data...) }

// PrintFirst puts data before what goes to stdout: GitHub's masks must
// come before anything else printed there.
func (s *Set) PrintFirst(data []byte) { s.stdout = append(bytes.Clone(data), s.stdout...) }

// Commit writes every output, then stdout, and logs each output's line.
// When one fails, those written are put back and the log says so.
func (s *Set) Commit(stdout io.Writer) (err error) {
	var committed []Step
	defer func() {
		if err == nil {
			return
		}
		for i := len(committed) - 1; i >= 0; i-- {
			committed[i].Undo()
		}
		if len(committed) > 0 {
			names := make([]string, len(committed))
			for i, c := range committed {
				names[i] = c.Format
			}
			s.log.Info(fmt.Sprintf("put back the %s output(s) as they were: nothing of this run is left", strings.Join(names, ", ")))
		}
	}()
	for _, st := range s.steps {
		if err := st.Commit(); err != nil {
			return &Error{Format: st.Format, Err: err}
		}
		committed = append(committed, st)
	}
	if err := writeStdout(stdout, s.stdout); err != nil {
		return err
	}
	for _, st := range committed {
		if st.Done != "" {
			s.log.Info(st.Done)
		}
	}
	return nil
}

// Print is what a run prints to stdout for a shell or the AWS CLI.
type Print struct {
	// Shell prints export lines, PowerShell $env: assignments.
	Shell, PowerShell bool
	// UnsetProfile also removes AWS_PROFILE in those (see Render).
	UnsetProfile bool
	// JSON prints the credential_process document of these credentials.
	JSON *exchange.Credentials
}

// Render gives what p prints for vars. The format names of its errors are
// shell, powershell and json.
func Render(p Print, vars []Var) ([]byte, error) {
	var out bytes.Buffer
	if p.Shell && len(vars) > 0 {
		if err := WriteShell(&out, vars); err != nil {
			return nil, &Error{Format: "shell", Err: err}
		}
		if p.UnsetProfile {
			out.WriteString("unset AWS_PROFILE\n")
		}
	}
	if p.PowerShell && len(vars) > 0 {
		if err := WritePowerShell(&out, vars); err != nil {
			return nil, &Error{Format: "powershell", Err: err}
		}
		if p.UnsetProfile {
			out.WriteString("Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n")
		}
	}
	if p.JSON != nil {
		if err := WriteJSON(&out, *p.JSON); err != nil {
			return nil, &Error{Format: "json", Err: err}
		}
	}
	return out.Bytes(), nil
}

// StdoutError is a stdout that could not take the output (a closed pipe,
// a full disk behind a redirection).
type StdoutError struct {
	Err error
	// before: found before anything was done.
	before bool
}

func (e *StdoutError) Error() string {
	if e.before {
		return fmt.Sprintf("%v; nothing was done", e.Err)
	}
	return fmt.Sprintf("failed to write to stdout: %v; every other output was put back as it was", e.Err)
}
func (e *StdoutError) Unwrap() error { return e.Err }

// Hint says how to keep stdout open, or do without it.
func (e *StdoutError) Hint() string {
	return "keep stdout open until aws-oidc exits (eval \"$(aws-oidc ...)\" does), or write files only with --output dotenv or --profile"
}

// CheckStdout refuses a closed stdout (`>&-`) before anything happens, for
// a run that prints there: the writes would fail only at the end, and a
// file opened meanwhile could take descriptor 1 and receive the exports.
func CheckStdout(w io.Writer) error {
	f, ok := w.(*os.File)
	if ok && closedAtStart(f) {
		return &StdoutError{Err: errors.New("stdout is closed (>&-), and the output would be lost"), before: true}
	}
	return nil
}

// writeStdout writes data in one call. SIGPIPE is caught meanwhile: a
// stdout whose reader has gone would otherwise kill the process before it
// could put the other outputs back; the write fails with EPIPE instead.
func writeStdout(w io.Writer, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	if _, err := w.Write(data); err != nil {
		return &StdoutError{Err: err}
	}
	return nil
}
