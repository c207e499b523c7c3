package output

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/. Run a fuzzer with, for
// example: go test ./src/internal/output -run '^$' -fuzz '^FuzzWriteDotenv$' -fuzztime 30s

// FuzzParseDotenv checks that the parser never panics, that every error is a
// *DotenvError pointing at a line, and that whatever it accepts is exactly
// the rendering of what it returned: nothing is stripped, unquoted or lost.
func FuzzParseDotenv(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := ParseDotenv(data)
		if err != nil {
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DotenvError", err)
			}
			if de.Line < 1 {
				t.Fatalf("error %v has no line", err)
			}
			return
		}
		rendered := renderVars(vars)
		if rendered != string(data) && rendered != string(data)+"\n" {
			t.Fatalf("accepted %q but it reads back as %q", data, rendered)
		}
		for _, v := range vars {
			if err := ValidateKey(v.Key); err != nil {
				t.Fatalf("accepted an invalid key: %v", err)
			}
			if err := ValidateValue(v.Key, v.Value); err != nil {
				t.Fatalf("accepted an invalid value: %v", err)
			}
		}
	})
}

// fuzzSecretMark starts the secret fuzz value. A raw \x01 cannot be in a
// valid name and error messages quote names with %q, so the mark followed
// by the value can only show up in an error if the value leaked.
const fuzzSecretMark = "\x01MARK"

// FuzzWriteDotenv checks the round trip: whatever WriteDotenv accepts,
// ParseDotenv reads back as the existing variables with ours merged in, and
// the file meets every GitLab rule and limit. Whatever it refuses leaves the
// directory exactly as it was, and its error never holds the secret value.
func FuzzWriteDotenv(f *testing.F) {
	f.Fuzz(func(t *testing.T, existing []byte, k1, v1, k2, v2 string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "aws.env")
		if len(existing) > 0 {
			if err := os.WriteFile(path, existing, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		secret := fuzzSecretMark + v2
		vars := []Var{{Key: k1, Value: v1}, {Key: k2, Value: secret, Secret: true}}
		limits := DefaultDotenvLimits()

		err := writeDotenv(context.Background(), path, vars, limits)

		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error holds the secret value: %q", err)
			}
			var de *DotenvError
			if errors.As(err, &de) && strings.Contains(de.Hint(), secret) {
				t.Fatalf("hint holds the secret value: %q", de.Hint())
			}
			entries, rerr := os.ReadDir(dir)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if len(existing) == 0 {
				if len(entries) != 0 {
					t.Fatalf("refusal left %d files behind", len(entries))
				}
				return
			}
			if len(entries) != 1 {
				t.Fatalf("refusal left %d files, want only the existing one", len(entries))
			}
			got, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if !bytes.Equal(existing, got) {
				t.Fatalf("refusal changed the existing file from %q to %q", existing, got)
			}
			return
		}

		written, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		back, err := validateDotenv(written, limits)
		if err != nil {
			t.Fatalf("wrote a file GitLab would reject: %v\n%q", err, written)
		}
		want, err := ParseDotenv(existing)
		if err != nil {
			t.Fatalf("accepted an existing file that does not parse: %v", err)
		}
		for _, v := range vars {
			v.Secret = false
			replaced := false
			for i := range want {
				if want[i].Key == v.Key {
					want[i], replaced = v, true
				}
			}
			if !replaced {
				want = append(want, v)
			}
		}
		if diff := cmp.Diff(want, back); diff != "" {
			t.Fatalf("file reads back differently (-want +got):\n%s", diff)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("mode = %v, want 0600", info.Mode().Perm())
		}
	})
}

// FuzzWriteShell checks that, for any names and values WriteShell accepts,
// a POSIX shell's reading of the output gives back every value exactly, and
// that a refusal writes nothing.
func FuzzWriteShell(f *testing.F) {
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		vars := []Var{{Key: k1, Value: v1}, {Key: k2, Value: v2}}
		var out bytes.Buffer
		if err := WriteShell(&out, vars); err != nil {
			if out.Len() != 0 {
				t.Fatalf("refusal wrote %q", out.String())
			}
			return
		}
		got, err := evalExports(out.String())
		if err != nil {
			t.Fatalf("output %q: %v", out.String(), err)
		}
		if diff := cmp.Diff(vars, got); diff != "" {
			t.Fatalf("values after eval (-want +got):\n%s", diff)
		}
	})
}

// FuzzMergeDotenv is FuzzWriteDotenv's round trip without the file system,
// so that it runs a hundred times faster and explores the merge further:
// whatever mergeDotenv returns must read back as the existing variables with
// ours merged in, within the limits.
func FuzzMergeDotenv(f *testing.F) {
	f.Fuzz(func(t *testing.T, existing []byte, k1, v1, k2, v2 string) {
		vars := []Var{{Key: k1, Value: v1}, {Key: k2, Value: v2}}
		limits := DefaultDotenvLimits()
		if err := checkNewVars(vars); err != nil {
			return
		}
		data, err := mergeDotenv(existing, vars, limits)
		if err != nil {
			var de *DotenvError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DotenvError", err)
			}
			return
		}
		back, err := validateDotenv(data, limits)
		if err != nil {
			t.Fatalf("merged a file GitLab would reject: %v\n%q", err, data)
		}
		want, err := ParseDotenv(existing)
		if err != nil {
			t.Fatalf("merged into an existing file that does not parse: %v", err)
		}
		for _, v := range vars {
			i := slices.IndexFunc(want, func(w Var) bool { return w.Key == v.Key })
			if i < 0 {
				want = append(want, v)
			} else {
				want[i] = v
			}
		}
		if diff := cmp.Diff(want, back); diff != "" {
			t.Fatalf("merged file reads back differently (-want +got):\n%s", diff)
		}
	})
}

// readRunnerFile reads a GITHUB_ENV or GITHUB_OUTPUT file the way the
// Actions runner does: NAME=VALUE lines, or NAME<<DELIM heredocs (whichever
// of '=' and '<<' comes first decides), the heredoc's value being every line
// up to one that equals DELIM.
func readRunnerFile(data string) ([]Var, error) {
	var vars []Var
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if data == "" {
		return nil, nil
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			vars = append(vars, Var{Key: line[:eq], Value: line[eq+1:]})
		case hd >= 0:
			key, delim := line[:hd], line[hd+2:]
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			if i == len(lines) {
				return nil, errors.New("unterminated heredoc")
			}
			vars = append(vars, Var{Key: key, Value: strings.Join(value, "\n")})
		default:
			return nil, errors.New("invalid line")
		}
	}
	return vars, nil
}

// FuzzWriteGitHub checks that nothing can be injected into GITHUB_ENV or
// GITHUB_OUTPUT: whatever WriteGitHub accepts, the runner reads back as
// exactly the variables and outputs given, and a refusal writes nothing.
func FuzzWriteGitHub(f *testing.F) {
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, outName, outValue string) {
		r := newGitHubRun(t)
		vars := []Var{{Key: k1, Value: v1}, {Key: k2, Value: v2, Secret: true}}
		outputs := map[string]string{outName: outValue}
		var log bytes.Buffer

		err := writeGitHub(r.action(&log), vars, outputs)

		env, output := readFile(t, r.envPath), readFile(t, r.outputPath)
		if err != nil {
			if log.Len() != 0 || env != "" || output != "" {
				t.Fatalf("refusal wrote: log %q, env %q, output %q", log.String(), env, output)
			}
			return
		}
		gotEnv, err := readRunnerFile(env)
		if err != nil {
			t.Fatalf("GITHUB_ENV %q: %v", env, err)
		}
		want := []Var{{Key: k1, Value: v1}, {Key: k2, Value: v2}}
		if diff := cmp.Diff(want, gotEnv); diff != "" {
			t.Fatalf("GITHUB_ENV reads back differently (-want +got):\n%s", diff)
		}
		gotOut, err := readRunnerFile(output)
		if err != nil {
			t.Fatalf("GITHUB_OUTPUT %q: %v", output, err)
		}
		if diff := cmp.Diff([]Var{{Key: outName, Value: outValue}}, gotOut); diff != "" {
			t.Fatalf("GITHUB_OUTPUT reads back differently (-want +got):\n%s", diff)
		}
		// The library escapes '%' in commands; the runner undoes it.
		if v2 != "" && !strings.Contains(log.String(), "::add-mask::"+strings.ReplaceAll(v2, "%", "%25")+"\n") {
			t.Fatalf("secret not masked; log %q", log.String())
		}
	})
}
