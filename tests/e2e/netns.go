package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// PublicAddress is the issuer's address inside a test namespace. It is in
// 198.18.0.0/15 (RFC 2544, benchmarking), which Go's net.IP.IsPrivate does not
// count as private, so VersityGW agrees to fetch keys from it, and which is
// never routed anywhere: traffic stays inside the namespace.
const PublicAddress = "198.18.0.1"

// netnsPrefix names every namespace this suite makes: aoe2e-<pid>-<n>.
const netnsPrefix = "aoe2e-"

var netnsName = regexp.MustCompile(`^` + netnsPrefix + `(\d+)-\d+$`)

// NewNetNS creates a network namespace with only loopback up and
// PublicAddress on it, and removes it (and stops anything left inside) when
// the test ends, even on failure. It needs root.
func NewNetNS(t testing.TB, n int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("the end-to-end suite needs root to create a network namespace (ip netns add)")
	}
	removeStaleNetNS(t)
	name := fmt.Sprintf("%s%d-%d", netnsPrefix, os.Getpid(), n)
	t.Cleanup(func() { deleteNetNS(t, name) })
	for _, args := range [][]string{
		{"netns", "add", name},
		{"-n", name, "link", "set", "lo", "up"},
		{"-n", name, "addr", "add", PublicAddress + "/32", "dev", "lo"},
	} {
		if out, err := exec.Command("/usr/sbin/ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return name
}

// deleteNetNS kills whatever still runs inside the namespace, then deletes
// it.
func deleteNetNS(t testing.TB, name string) {
	var ns syscall.Stat_t
	if err := syscall.Stat(filepath.Join("/run/netns", name), &ns); err == nil {
		out, _ := exec.Command("/usr/sbin/ip", "netns", "pids", name).Output()
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && killInNetNS(pid, ns) {
				t.Logf("killed pid %d left in namespace %s", pid, name)
			}
		}
	}
	if out, err := exec.Command("/usr/sbin/ip", "netns", "del", name).CombinedOutput(); err != nil {
		t.Errorf("failed to delete namespace %s: %v\n%s", name, err, out)
	}
}

// killInNetNS kills pid if it is still a process inside the namespace ns
// (the stat of its /run/netns file). The list of PIDs is old by the time
// it is used, and on a busy machine a PID is soon reused (pid_max is often
// 32768): a process of another test, or of no test at all, may hold it. So
// the process is pinned first (os.FindProcess holds a pidfd on Linux) and
// only then checked: a process that left meanwhile makes the check fail, or
// the kill find nobody.
func killInNetNS(pid int, ns syscall.Stat_t) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	defer p.Release()
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil || st.Dev != ns.Dev || st.Ino != ns.Ino {
		return false
	}
	return p.Kill() == nil
}

// removeStaleNetNS deletes namespaces that an earlier run, killed before its
// cleanups ran (a test timeout), left behind: those whose creating process
// is gone.
func removeStaleNetNS(t testing.TB) {
	out, err := exec.Command("/usr/sbin/ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		m := netnsName.FindStringSubmatch(fields[0])
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue
		}
		t.Logf("removing namespace %s left by an earlier run", fields[0])
		deleteNetNS(t, fields[0])
	}
}
