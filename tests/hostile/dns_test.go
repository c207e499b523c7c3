package hostile

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

// resolverAddr is the loopback address of the tests' own DNS server. The
// tool sees it as its only resolver through a private /etc/resolv.conf in
// a mount namespace: no query ever reaches the machine's resolver.
const resolverAddr = "127.83.5.3"

// fakeResolver answers every query for a name under nxdomain.invalid with
// NXDOMAIN, and every other with SERVFAIL (a resolver that failed).
type fakeResolver struct {
	conn  net.PacketConn
	mu    sync.Mutex
	names []string
}

func startResolver(t *testing.T) *fakeResolver {
	t.Helper()
	conn, err := net.ListenPacket("udp", resolverAddr+":53")
	if err != nil {
		t.Skipf("cannot listen on %s:53 for a resolver of our own: %v", resolverAddr, err)
	}
	r := &fakeResolver{conn: conn}
	t.Cleanup(func() { conn.Close() })
	go r.serve()
	return r
}

func (r *fakeResolver) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		q := buf[:n]
		if len(q) < 12 {
			continue
		}
		// The question: labels up to the zero byte, then type and class.
		end, name := 12, []string{}
		for end < len(q) && q[end] != 0 {
			l := int(q[end])
			if end+1+l > len(q) {
				break
			}
			name = append(name, string(q[end+1:end+1+l]))
			end += 1 + l
		}
		end += 5
		if end > len(q) {
			continue
		}
		fqdn := strings.ToLower(strings.Join(name, "."))
		r.mu.Lock()
		r.names = append(r.names, fqdn)
		r.mu.Unlock()
		rcode := byte(2) // SERVFAIL
		if strings.HasSuffix(fqdn, "nxdomain.invalid") {
			rcode = 3 // NXDOMAIN
		}
		resp := append([]byte{q[0], q[1], 0x81, 0x80 | rcode, 0, 1, 0, 0, 0, 0, 0, 0}, q[12:end]...)
		_, _ = r.conn.WriteTo(resp, from)
	}
}

func (r *fakeResolver) queried() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.names...)
}

// TestUnresolvableEndpoint: an STS endpoint whose name does not exist
// (NXDOMAIN) is a configuration error, exit 2 after one attempt; a resolver
// that fails (SERVFAIL) may pass, so it is retried and ends with exit 5.
func TestUnresolvableEndpoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace with its own /etc/resolv.conf")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	res := startResolver(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	writeFile(t, conf, "nameserver "+resolverAddr+"\noptions attempts:1 timeout:1\n")
	for _, c := range []struct {
		name, host string
		want       int
		attempts   int
	}{
		{name: "nxdomain", host: "sts.nxdomain.invalid", want: exitConfig, attempts: 1},
		{name: "servfail", host: "sts.servfail.invalid", want: 5, attempts: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(res.queried())
			env := job(dir, mint(t, fakegitlab.Options{}))
			r := runResolving(t, dir, conf, env, "assume", "--role-arn", roleARN, "--sts-endpoint", "https://"+c.host,
				"--output", "json", "--max-attempts", "2", "--timeout", "30s")
			if r.Code != c.want {
				t.Errorf("exit %d, want %d\n%s", r.Code, c.want, redacted(r, nil))
			}
			asked := 0
			for _, n := range res.queried()[before:] {
				if n == c.host {
					asked++
				}
			}
			// Go asks for A and AAAA at each attempt.
			if asked < c.attempts || (c.attempts == 1 && asked > 2) {
				t.Errorf("%s was asked for %d times, want about %d attempts", c.host, asked, c.attempts)
			}
		})
	}
	for _, n := range res.queried() {
		if !strings.HasSuffix(n, ".invalid") {
			t.Errorf("the tool asked for %q", n)
		}
	}
}

// runResolving runs the tool in a mount namespace where /etc/resolv.conf
// is conf.
func runResolving(t *testing.T, dir, conf string, env map[string]string, args ...string) harness.Result {
	t.Helper()
	return harness.Run(t, harness.Process{Path: bin.Tool(t), Args: args, Dir: dir, Env: env,
		Wrap: []string{"unshare", "--mount", "--propagation", "private", "sh", "-c", `mount --bind "$0" /etc/resolv.conf && exec "$@"`, conf}})
}
