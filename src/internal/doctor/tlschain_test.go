package doctor

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/issuertest"
)

func TestChain(t *testing.T) {
	t.Parallel()
	pki := issuertest.NewPKI(t, "gitlab.example.com")
	roots := x509.NewCertPool()
	roots.AddCert(pki.Root.Cert)
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	leaf, inter, root, stranger := pki.Leaf.Cert, pki.Intermediate.Cert, pki.Root.Cert, pki.Stranger.Cert
	tests := []struct {
		name  string
		certs []*x509.Certificate
		host  string
		now   time.Time
		want  []string // finding IDs
		text  string
	}{
		{name: "leaf_intermediate_root", certs: []*x509.Certificate{leaf, inter, root}},
		{name: "leaf_intermediate", certs: []*x509.Certificate{leaf, inter}},
		{name: "intermediate_missing", certs: []*x509.Certificate{leaf}, want: []string{"tls-untrusted"}, text: "certificate signed by unknown authority"},
		{name: "misordered", certs: []*x509.Certificate{leaf, root, inter}, want: []string{"tls-order", "tls-order"}, text: "certificate 2 (CN=Test Root CA) is out of order"},
		{name: "reversed", certs: []*x509.Certificate{root, inter, leaf}, want: []string{"tls-order", "tls-order", "tls-hostname"}, text: "certificate 3 (CN=gitlab.example.com) is the server's own certificate and must come first"},
		{name: "duplicate_leaf", certs: []*x509.Certificate{leaf, leaf, inter}, want: []string{"tls-duplicate"}, text: "certificate 1 (CN=gitlab.example.com) is sent again as certificate 2"},
		{name: "stranger_at_the_end", certs: []*x509.Certificate{leaf, inter, root, stranger}, want: []string{"tls-unrelated"}, text: "certificate 4 (CN=Unrelated CA) is unrelated"},
		{name: "other_host", certs: []*x509.Certificate{leaf, inter}, host: "gitlab.other.org", want: []string{"tls-hostname"}},
		{name: "expired", certs: []*x509.Certificate{leaf, inter}, now: time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC), want: []string{"tls-untrusted"}, text: "expired"},
		{name: "nothing_presented", want: []string{"tls-no-certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			host, at := tt.host, tt.now
			if host == "" {
				host = "gitlab.example.com"
			}
			if at.IsZero() {
				at = now
			}
			r := Chain(tt.certs, host, roots, at)
			var ids, text []string
			for _, f := range r.Findings {
				ids = append(ids, f.ID)
				text = append(text, f.Problem)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, strings.Join(text, "\n"))
			}
			if !strings.Contains(strings.Join(text, "\n"), tt.text) {
				t.Errorf("findings lack %q:\n%s", tt.text, strings.Join(text, "\n"))
			}
			if len(r.Lines) != len(tt.certs) {
				t.Errorf("%d lines for %d certificates", len(r.Lines), len(tt.certs))
			}
		})
	}
}
