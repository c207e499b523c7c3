//go:build unix

package atomicfile

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killChildEnv makes the test binary act as a writer that replaces a file in
// a loop until it is killed.
const killChildEnv = "ATOMICFILE_KILL_CHILD_PATH"

// Contents large enough that a write takes a while, so that kills land in
// the middle of one.
var (
	killContentA = bytes.Repeat([]byte("A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"), 1<<14)
	killContentB = bytes.Repeat([]byte("B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"), 1<<14)
)

func TestMain(m *testing.M) {
	if path := os.Getenv(killChildEnv); path != "" {
		for i := 0; ; i++ {
			content := killContentA
			if i%2 == 1 {
				content = killContentB
			}
			if err := Write(path, content, 0o600); err != nil {
				os.Stderr.WriteString(err.Error() + "\n")
				os.Exit(2)
			}
		}
	}
	os.Exit(m.Run())
}

// TestWrite_survives_sigkill kills a writer at random moments: the target
// must always hold one whole version or not exist, and a temporary file
// left behind by the kill must be readable by its owner only.
func TestWrite_survives_sigkill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}

	for i := range 12 {
		dir := t.TempDir()
		path := filepath.Join(dir, "aws.env")
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(5+rand.IntN(60)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if cmd.ProcessState.Exited() {
			t.Fatalf("run %d: the writer exited with %v instead of being killed: %s", i, cmd.ProcessState, stderr.String())
		}

		got, err := os.ReadFile(path)
		switch {
		case os.IsNotExist(err):
			t.Logf("run %d: killed before the first rename", i)
		case err != nil:
			t.Fatal(err)
		case !bytes.Equal(got, killContentA) && !bytes.Equal(got, killContentB):
			t.Fatalf("run %d: target holds %d bytes that are neither version", i, len(got))
		}

		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() == "aws.env" {
				continue
			}
			t.Logf("run %d: kill left %s", i, e.Name())
			if !strings.HasPrefix(e.Name(), ".aws.env.tmp-") {
				t.Errorf("run %d: unexpected file %q", i, e.Name())
			}
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("run %d: leftover %q has mode %v, want 0600", i, e.Name(), info.Mode().Perm())
			}
		}
	}
}
