package ingress

import (
	"net/http"
	"net/url"
	"strings"
)

// maxHostLen bounds a request's host: a DNS name (253) or a bracketed IPv6
// address with a zone, and a port.
const maxHostLen = 300

var connClose = []string{"close"}

// CloseIfUpgrade wraps h so that an HTTP/1.x request carrying an Upgrade
// header is answered with "Connection: close" unless h switches protocols
// (a 101 answer replaces the header). The guard of Listen stops inspecting
// a connection after such a request, so no further request may be read
// from it. Wrap the server's outermost handler, so that no answer escapes.
func CloseIfUpgrade(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 1 && len(r.Header["Upgrade"]) > 0 {
			w.Header()["Connection"] = connClose
		}
		h.ServeHTTP(w, r)
	})
}

// CheckRequest checks r's host and path, for every protocol, before it is
// routed: the host must be ASCII host syntax, and the path free of encoded
// slashes, backslashes and control bytes. Dot-segments are removed from the
// path (RFC 3986 remove_dot_segments; "%2e" counts as "."), rewriting
// URL.Path and URL.RawPath together. It returns 0 if r may be routed, or
// the status (400) and message to answer with.
func CheckRequest(r *http.Request) (int, string) {
	if !validHost(r.Host) {
		return http.StatusBadRequest, "invalid host"
	}
	u := r.URL
	if u.Opaque != "" {
		return http.StatusBadRequest, "invalid request target"
	}
	if u.RawPath != "" && hasEncodedSlash(u.RawPath) {
		return http.StatusBadRequest, "encoded slash in path"
	}
	dots := false
	for i := 0; i < len(u.Path); i++ {
		switch c := u.Path[i]; {
		case c < 0x20 || c == 0x7f:
			return http.StatusBadRequest, "control character in path"
		case c == '\\':
			return http.StatusBadRequest, "backslash in path"
		case c == '.' && (i == 0 || u.Path[i-1] == '/'):
			dots = dots || isDotSegment(u.Path[i:])
		}
	}
	if dots {
		if !cleanPath(u) {
			return http.StatusBadRequest, "invalid path"
		}
	}
	return 0, ""
}

// validHost reports whether h is non-empty host syntax: letters, digits
// and "-._:[]" only (an IDN host arrives in its ASCII form).
func validHost(h string) bool {
	if h == "" || len(h) > maxHostLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		switch c {
		case '-', '.', '_', ':', '[', ']':
			continue
		}
		return false
	}
	return true
}

// hasEncodedSlash reports whether raw holds "%2F" or "%5C" in any case.
func hasEncodedSlash(raw string) bool {
	for i := strings.IndexByte(raw, '%'); i >= 0 && i+2 < len(raw); {
		a, b := raw[i+1], raw[i+2]|0x20
		if a == '2' && b == 'f' || a == '5' && b == 'c' {
			return true
		}
		j := strings.IndexByte(raw[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// isDotSegment reports whether s starts with the segment "." or "..".
func isDotSegment(s string) bool {
	switch {
	case s == "." || s == "..":
		return true
	case strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"):
		return true
	}
	return false
}

// cleanPath removes u's dot-segments, working on its escaped form so that
// escapes other than "%2e" keep their spelling for the pod.
func cleanPath(u *url.URL) bool {
	raw := u.EscapedPath()
	raw = strings.NewReplacer("%2e", ".", "%2E", ".").Replace(raw)
	if !strings.HasPrefix(raw, "/") {
		raw = "/" + raw
	}
	raw = removeDotSegments(raw)
	p, err := url.PathUnescape(raw)
	if err != nil {
		return false
	}
	u.Path, u.RawPath = p, ""
	if u.EscapedPath() != raw {
		u.RawPath = raw
	}
	return true
}

// removeDotSegments is RFC 3986 section 5.2.4 for a path starting with "/".
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}
