// Package s3test provides an in-process S3 for tests, in the manner of
// net/http/httptest: path-style HeadBucket and ListObjectsV2 with S3's
// answers, buckets that exist, that refuse one operation with AccessDenied,
// or that do not exist. It records what it was asked.
package s3test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Bucket is one bucket's behaviour.
type Bucket struct {
	// Keys are the objects in it.
	Keys []string
	// DenyHead and DenyList answer 403 AccessDenied to HeadBucket and
	// ListObjectsV2.
	DenyHead, DenyList bool
	// SlowDown answers the first SlowDown requests to the bucket with S3's
	// 503 SlowDown, as S3 does under load.
	SlowDown int
}

// Request is one call the server saw.
type Request struct {
	Op     string
	Bucket string
	Prefix string
	Signed bool
}

// Server is a fake S3.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	buckets  map[string]Bucket
	requests []Request
}

// New starts a server with the buckets given; it is closed when the test
// ends.
func New(t testing.TB, buckets map[string]Bucket) *Server {
	t.Helper()
	s := &Server{buckets: buckets}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests returns what the server saw so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	req := Request{Bucket: name, Signed: strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256")}
	switch {
	case r.Method == http.MethodHead:
		req.Op = "HeadBucket"
	case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		req.Op, req.Prefix = "ListObjectsV2", r.URL.Query().Get("prefix")
	default:
		req.Op = r.Method + " " + r.URL.Path
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	b, ok := s.buckets[name]
	slow := ok && b.SlowDown > 0
	if slow {
		b.SlowDown--
		s.buckets[name] = b
	}
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", "0000000000000000")
	switch {
	case !req.Signed:
		fail(w, r, http.StatusForbidden, "AccessDenied", "Anonymous access is forbidden")
	case slow:
		fail(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case !ok:
		fail(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	case req.Op == "HeadBucket" && b.DenyHead, req.Op == "ListObjectsV2" && b.DenyList:
		fail(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
	case req.Op == "HeadBucket":
		w.Header().Set("X-Amz-Bucket-Region", "us-east-1")
		w.WriteHeader(http.StatusOK)
	case req.Op == "ListObjectsV2":
		var keys []string
		for _, k := range b.Keys {
			if strings.HasPrefix(k, req.Prefix) && len(keys) < 1 {
				keys = append(keys, k)
			}
		}
		var contents strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&contents, "<Contents><Key>%s</Key><Size>1</Size></Contents>", k)
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>%s</ListBucketResult>`,
			name, req.Prefix, len(keys), contents.String())
	default:
		fail(w, r, http.StatusNotImplemented, "NotImplemented", "s3test answers HeadBucket and ListObjectsV2 only")
	}
}

func fail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return // HEAD answers have no body, on S3 too
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s</Message><RequestId>0000000000000000</RequestId></Error>`, code, message)
}
