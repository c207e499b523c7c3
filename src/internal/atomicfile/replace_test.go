//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReplacementUndo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	r1 := &Replacement{Path: existing, Data: []byte("new"), Perm: 0o600, Old: []byte("old"), Existed: true}
	r2 := &Replacement{Path: filepath.Join(dir, "fresh"), Data: []byte("new"), Perm: 0o600}
	for _, r := range []*Replacement{r1, r2} {
		if err := r.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*Replacement{r2, r1} {
		if err := r.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Errorf("existing file holds %q after Undo", b)
	}
	if _, err := os.Stat(r2.Path); !os.IsNotExist(err) {
		t.Errorf("new file still there after Undo: %v", err)
	}
	// Undo without a commit touches nothing.
	if err := (&Replacement{Path: existing}).Undo(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Errorf("Undo without Commit changed the file to %q", b)
	}
}

func TestMakeParents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	created, err := MakeParents(filepath.Join(dir, "a", "b", "f"))
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 {
		t.Fatalf("created %v, want a and a/b", created)
	}
	for _, d := range created {
		if info, err := os.Stat(d); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, want mode 0700", d, err)
		}
	}
	RemoveDirs(created)
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("RemoveDirs left a: %v", err)
	}
	// RemoveDirs never removes a folder with something in it.
	created, _ = MakeParents(filepath.Join(dir, "c", "f"))
	if err := os.WriteFile(filepath.Join(dir, "c", "kept"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	RemoveDirs(created)
	if _, err := os.Stat(filepath.Join(dir, "c", "kept")); err != nil {
		t.Errorf("RemoveDirs removed a file: %v", err)
	}
	// A file in the way is refused.
	var refused *RefusedError
	if _, err := MakeParents(filepath.Join(dir, "c", "kept", "x", "f")); !errors.As(err, &refused) || refused.Reason != ReasonParentNotDirectory {
		t.Errorf("err = %v, want parent_not_directory", err)
	}
}

func TestCheckWritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "f")); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the probe left %v", entries)
	}
	var refused *RefusedError
	if err := CheckWritable(dir); !errors.As(err, &refused) || refused.Reason != ReasonDirectory {
		t.Errorf("err = %v, want directory", err)
	}
	if err := CheckWritable(filepath.Join(dir, "missing", "f")); !errors.As(err, &refused) || refused.Reason != ReasonNoParent {
		t.Errorf("err = %v, want no_parent", err)
	}
}

func TestReadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range []string{small, link} {
		if b, err := ReadInput(ctx, p, 5); err != nil || string(b) != "12345" {
			t.Errorf("ReadInput(%s) = %q, %v", p, b, err)
		}
	}
	cases := map[string]Reason{small: ReasonTooLarge, fifo: ReasonNotRegular, "/dev/zero": ReasonNotRegular, dir: ReasonDirectory}
	for p, want := range cases {
		var refused *RefusedError
		if _, err := ReadInput(ctx, p, 4); !errors.As(err, &refused) || refused.Reason != want {
			t.Errorf("ReadInput(%s) err = %v, want %s", p, err, want)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadInput(done, small, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadInput after the deadline: %v", err)
	}
}
