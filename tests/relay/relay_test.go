package relay

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForward(t *testing.T) {
	t.Parallel()
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Host+" "+r.URL.RequestURI()+" "+string(body)+" "+r.Header.Get("X-Amz-Date"))
		_, _ = io.WriteString(w, `<Credentials><SecretAccessKey>key-1</SecretAccessKey><SessionToken>token-1</SessionToken></Credentials>`)
	}))
	t.Cleanup(peer.Close)
	base, _ := url.Parse(peer.URL + "/base/")
	for _, keepHost := range []bool{false, true} {
		var secrets bytes.Buffer
		u := &Upstream{URL: base, Client: peer.Client(), KeepHost: keepHost, Secrets: &secrets}
		r := httptest.NewRequest(http.MethodPost, "http://front.test:7080/sts?x=1", nil)
		r.Header.Set("X-Amz-Date", "20261129T000000Z")
		status, header, answer, err := u.Forward(r, []byte("Action=GetCallerIdentity"))
		if err != nil {
			t.Fatal(err)
		}
		host := base.Host
		if keepHost {
			host = "front.test:7080"
		}
		// The peer saw the path under its base, the query, the body and the
		// headers; the front gets no Content-Length of the peer's, and the
		// secrets are noted one a line.
		want := []string{host + " /base/sts?x=1 Action=GetCallerIdentity 20261129T000000Z", "", "key-1\ntoken-1\n"}
		got := []string{header.Get("X-Seen"), header.Get("Content-Length"), secrets.String()}
		if status != http.StatusOK || !strings.Contains(string(answer), "key-1") {
			t.Errorf("status %d, answer %q", status, answer)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keep host %v (-want +got):\n%s", keepHost, diff)
		}
	}
}

func TestListenWritesTheAddress(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "addr")
	l, err := Listen("127.0.0.1:0", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != l.Addr().String() {
		t.Errorf("address file %q, %v; want %q", got, err, l.Addr())
	}
}
