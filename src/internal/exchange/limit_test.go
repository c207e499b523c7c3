package exchange

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestResponseTooLarge: an answer longer than MaxResponseBytes, announced or
// streamed, success or error, fails at once as a permanent
// response-too-large, after reading no more than the cap.
func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		status   int
		announce bool
	}{
		{name: "success_streamed", status: 200},
		{name: "success_announced", status: 200, announce: true},
		{name: "error_streamed", status: 400},
		{name: "error_announced", status: 500, announce: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				size := 8 * MaxResponseBytes
				if tc.announce {
					w.Header().Set("Content-Length", strconv.Itoa(size))
				}
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tc.status)
				chunk := []byte("<" + strings.Repeat("x", 4095))
				for i := 0; i < size/len(chunk); i++ {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			client := NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL})
			_, err := Exchange(context.Background(), client, request(), testRetry(&fakeClock{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
			var xerr *Error
			if !errors.As(err, &xerr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if xerr.Code != CodeResponseTooLarge || xerr.Class != Permanent || xerr.Attempts != 1 {
				t.Errorf("got code %q class %s after %d attempts, want %s, permanent, 1", xerr.Code, xerr.Class, xerr.Attempts, CodeResponseTooLarge)
			}
		})
	}
}
