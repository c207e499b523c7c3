package awsconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// FuzzMerge writes profile "ours" over arbitrary files. Whatever the input:
// no panic; an ambiguous header is refused; otherwise the result holds our
// section exactly once, the profile reads as ours, and every section of
// the input that is not ours is still there byte for byte.
func FuzzMerge(f *testing.F) {
	for _, seed := range []string{
		"", "[profile ours]\nregion = a\n[profile prod] # keep\nregion = b\n",
		"[ours]\r\nx = 1\r[prod];c\n", "[profile x]\nnote = a\n  [profile ours]\n", "# c\n\n[default]\n",
		"[profile \"ours\"]\n[profile ours x]\n[ profile ours]\n", "[profile 'o\\'urs]\n",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
		f.Add(markSections(kindConfig, seed, "ours"), true)
		f.Add(markSections(kindCredentials, seed, "ours"), false)
	}
	f.Fuzz(func(t *testing.T, existing string, config bool) {
		kind := kindCredentials
		rendered := "[ours]\naws_access_key_id = A\n"
		if config {
			kind, rendered = kindConfig, "[profile ours]\nregion = r\n"
		}
		out, _, err := merge(kind, "f", []byte(existing), []string{"ours"}, map[string]string{"ours": rendered})
		var (
			ae *AmbiguousError
			fe *ForeignError
		)
		if errors.As(err, &ae) || errors.As(err, &fe) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got := string(out)
		// Our settings take the indentation of an indented header after
		// them (see merge), so compare without leading blanks.
		if !strings.Contains(unindent(got), unindent(rendered)) {
			t.Fatalf("our section is missing from %q", got)
		}
		lines := splitLines(got)
		owned := 0
		for _, b := range scan(lines)[1:] {
			if profileName(kind, b.header) == "ours" {
				owned++
			}
		}
		if owned != 1 {
			t.Fatalf("the result has %d sections of ours: %q", owned, got)
		}
		// Every section of the input that is not ours survives verbatim.
		in := splitLines(existing)
		blocks := scan(in)
		for i, b := range blocks {
			if !b.preamble && profileName(kind, b.header) == "ours" {
				continue
			}
			next := len(in)
			if i+1 < len(blocks) {
				next = blocks[i+1].start
			}
			var text strings.Builder
			for _, l := range in[b.start:next] {
				text.WriteString(l.text)
				text.WriteString("\n")
			}
			if !strings.Contains(normalise(got), text.String()) {
				t.Fatalf("section %q of the input was changed:\ninput  %q\noutput %q", b.header, existing, got)
			}
		}
	})
}

// normalise writes every line break as \n, as the fuzz check compares line
// texts.
// unindent drops the blanks that start each line of s.
func unindent(s string) string {
	var b strings.Builder
	for _, l := range splitLines(s) {
		b.WriteString(strings.TrimLeft(l.text, " \t"))
		b.WriteString("\n")
	}
	return b.String()
}

func normalise(s string) string {
	var b strings.Builder
	for _, l := range splitLines(s) {
		b.WriteString(l.text)
		b.WriteString("\n")
	}
	return b.String()
}

// FuzzWriteThenRemove is the promise between assume and cleanup: for any
// pair of files Prepare accepts, removing the profile again is accepted
// too, and when the profile was not there before, the removal gives back
// the original bytes (with a line break added at the end of a last line
// that had none, which the write needed).
func FuzzWriteThenRemove(f *testing.F) {
	for _, seed := range []string{
		"", "[profile w]\nregion = w\n[profile ci]\n  [profile z]\nregion=q\n",
		"[profile w]\nregion = w\n  [profile z]\nregion=q\n", "[profile a]\nx = 1\n\n# c\n  [profile b]\n",
		"[profile a]\r\nx = 1\r\n[profile b] # k\n", "[profile a]\nx = 1",
	} {
		f.Add(seed, "")
		f.Add(seed, seed)
		f.Add(markSections(kindConfig, seed, "ci"), markSections(kindCredentials, seed, "ci"))
	}
	f.Fuzz(func(t *testing.T, config, creds string) {
		dir := t.TempDir()
		files := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
		for path, data := range map[string]string{files.Config: config, files.Credentials: creds} {
			if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		p, err := Prepare(files, []Profile{{Name: "ci", Region: "eu-west-1",
			Credentials: exchange.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", SessionToken: "t"}}})
		if err != nil {
			return
		}
		if err := p.Write(); err != nil {
			t.Fatal(err)
		}
		r, err := PrepareRemove(files, []string{"ci"})
		if err != nil {
			t.Fatalf("assume wrote what cleanup refuses to remove: %v", err)
		}
		if err := r.Write(); err != nil {
			t.Fatal(err)
		}
		for path, before := range map[string]string{files.Config: config, files.Credentials: creds} {
			if hadProfile(before) {
				continue
			}
			want := before
			if want != "" && !strings.HasSuffix(want, "\n") && !strings.HasSuffix(want, "\r") {
				want += "\n"
			}
			got, _ := os.ReadFile(path)
			if string(got) != want && !(before == "" && len(got) == 0) {
				t.Fatalf("%s after assume and cleanup:\n%q\nwant\n%q", filepath.Base(path), got, want)
			}
		}
	})
}

// hadProfile is a rough test for a "ci" section in data: the round trip
// promise is only for files without one.
func hadProfile(data string) bool {
	return strings.Contains(data, "ci")
}
