// Package logging owns how aws-oidc talks to people on stderr: one short line
// per event, a level word only where it matters, attributes as key=value.
// CI logs are read by people, so there are no timestamps (the runner adds
// them) and no JSON. It also owns what may be printed at all: Writer scrubs
// every secret of the run (Secrets) and escapes control characters, so that
// neither a server's message nor a forged claim can leak a secret or forge
// a log line.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// New returns a logger printing each record as one line on w; debug lowers
// the level to Debug. The standard library's handlers cannot print a bare
// message ("msg=" and "level=" are always theirs), so this one is ours.
func New(w io.Writer, debug bool) *slog.Logger {
	h := &lines{mu: &sync.Mutex{}, w: w, level: slog.LevelInfo}
	if debug {
		h.level = slog.LevelDebug
	}
	return slog.New(h)
}

// lines is the slog.Handler behind New: "error: ", "warning: " or "debug: "
// by level (nothing for info), the message, then " key=value" per
// attribute, with every control character escaped (Line).
type lines struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Level
	attrs []byte // of With, already printed
	group string // of WithGroup: "name." per group
}

func (h *lines) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lines) Handle(_ context.Context, r slog.Record) error {
	var b []byte
	switch {
	case r.Level >= slog.LevelError:
		b = append(b, "error: "...)
	case r.Level >= slog.LevelWarn:
		b = append(b, "warning: "...)
	case r.Level < slog.LevelInfo:
		b = append(b, "debug: "...)
	}
	b = append(append(b, Line(r.Message)...), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.group, a)
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(append(b, '\n'))
	return err
}

func (h *lines) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = h.attrs[:len(h.attrs):len(h.attrs)]
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, h.group, a)
	}
	return &h2
}

func (h *lines) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group += name + "."
	return &h2
}

// appendAttr prints a as " key=value", a group as its members with the
// group's name before each key. A value is quoted when it is empty or holds
// a space, '"' or '=', and a time is printed in UTC, to the second.
func appendAttr(b []byte, group string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	switch {
	case a.Equal(slog.Attr{}):
		return b
	case a.Value.Kind() == slog.KindGroup:
		if a.Key != "" {
			group += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			b = appendAttr(b, group, g)
		}
		return b
	}
	v := fmt.Sprint(a.Value.Any())
	if a.Value.Kind() == slog.KindTime {
		v = a.Value.Time().UTC().Format(time.RFC3339)
	}
	if v = Line(v); v == "" || strings.ContainsAny(v, ` "=`) {
		v = strconv.Quote(v)
	}
	return append(b, " "+group+a.Key+"="+v...)
}
