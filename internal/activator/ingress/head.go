package ingress

import "bytes"

// Reasons a head is refused, as passed to GuardOptions.OnRefuse.
const (
	ReasonRequestLine    = "malformed request line"
	ReasonVersion        = "unsupported protocol version"
	ReasonObsFold        = "obsolete line folding"
	ReasonHeaderLine     = "malformed header line"
	ReasonCLAndTE        = "Content-Length with Transfer-Encoding"
	ReasonContentLength  = "invalid or differing Content-Length"
	ReasonTransferCoding = "Transfer-Encoding other than chunked"
	ReasonHost           = "more than one Host"
	ReasonAuthority      = "request target authority differs from Host"
)

// head checks one complete request head (request line, header lines and
// the empty line) and sets the state for what follows it. It returns why
// the head is refused, or "".
func (f *framer) head(h []byte) string {
	rl, reason := parseRequestLine(h)
	if reason != "" {
		return reason
	}
	if rl.preface {
		// The HTTP/2 preface: net/http serves HTTP/2 if it opens the
		// connection, and closes after answering it anywhere else.
		f.st = stPass
		return ""
	}
	hs, reason := scanHeaders(rl.rest)
	if reason != "" {
		return reason
	}
	n, reason := hs.check(rl)
	if reason != "" {
		return reason
	}
	f.skip = 0
	if string(rl.method) == "POST" {
		f.skip = 4 // net/http forgives up to 4 stray CR or LF after a POST
	}
	switch {
	case hs.upgrade:
		// The handler closes the connection after any answer but 101
		// (CloseIfUpgrade), so nothing after this head is a request.
		f.st = stPass
	case hs.teN > 0:
		f.st = stChunkLine
		f.beginChunk()
	case n > 0:
		f.st, f.n = stBody, n
	default:
		f.st = stHead
	}
	return ""
}

// requestLine is a head's parsed request line.
type requestLine struct {
	method, target []byte
	http10         bool
	preface        bool   // the HTTP/2 connection preface
	rest           []byte // the header lines after it
}

// parseRequestLine parses the first line of head h.
func parseRequestLine(h []byte) (requestLine, string) {
	line, rest := cutLine(h)
	method, after, ok := bytes.Cut(line, sp)
	if !ok || len(method) == 0 {
		return requestLine{}, ReasonRequestLine
	}
	target, proto, ok := bytes.Cut(after, sp)
	if !ok {
		return requestLine{}, ReasonRequestLine
	}
	rl := requestLine{method: method, target: target, rest: rest}
	switch {
	case string(proto) == "HTTP/1.1":
	case string(proto) == "HTTP/1.0":
		rl.http10 = true
	case string(proto) == "HTTP/2.0" && string(method) == "PRI" && string(target) == "*" && isEmptyLine(rest):
		rl.preface = true
	default:
		return requestLine{}, ReasonVersion
	}
	return rl, ""
}

// headerSummary is what the guard needs of a head's header lines.
type headerSummary struct {
	clN, teN, hostN int
	cl, host        []byte
	upgrade         bool
}

// scanHeaders reads the header lines up to the empty line.
func scanHeaders(rest []byte) (headerSummary, string) {
	var hs headerSummary
	for {
		var line []byte
		line, rest = cutLine(rest)
		if len(line) == 0 {
			return hs, ""
		}
		if line[0] == ' ' || line[0] == '\t' {
			return hs, ReasonObsFold
		}
		name, value, ok := bytes.Cut(line, colon)
		if !ok || len(name) == 0 {
			return hs, ReasonHeaderLine
		}
		if reason := hs.add(name, trimOWS(value)); reason != "" {
			return hs, reason
		}
	}
}

// add records one header line.
func (hs *headerSummary) add(name, value []byte) string {
	switch {
	case foldEqual(name, "content-length"):
		if hs.clN > 0 && !bytes.Equal(value, hs.cl) {
			return ReasonContentLength
		}
		hs.clN++
		hs.cl = value
	case foldEqual(name, "transfer-encoding"):
		hs.teN++
		if hs.teN > 1 || !foldEqual(value, "chunked") {
			return ReasonTransferCoding
		}
	case foldEqual(name, "host"):
		hs.hostN++
		hs.host = value
	case foldEqual(name, "upgrade"):
		hs.upgrade = true
	}
	return ""
}

// check refuses conflicting framing and a target authority that differs
// from Host, and returns the body's Content-Length (0 if none).
func (hs *headerSummary) check(rl requestLine) (uint64, string) {
	switch {
	case hs.teN > 0 && hs.clN > 0:
		return 0, ReasonCLAndTE
	case hs.teN > 0 && rl.http10:
		return 0, ReasonTransferCoding
	case hs.hostN > 1:
		return 0, ReasonHost
	}
	var n uint64
	if hs.clN > 0 {
		var ok bool
		if n, ok = parseLength(hs.cl); !ok {
			return 0, ReasonContentLength
		}
	}
	if auth, ok := targetAuthority(rl.method, rl.target); ok {
		if bytes.IndexByte(auth, '@') >= 0 || bytes.IndexByte(auth, '%') >= 0 || hs.hostN == 1 && !asciiEqualFold(auth, hs.host) {
			return 0, ReasonAuthority
		}
	}
	return n, ""
}

var (
	sp    = []byte{' '}
	colon = []byte{':'}
)

// cutLine splits off the first line of b without its LF or CRLF.
func cutLine(b []byte) (line, rest []byte) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return b, nil
	}
	line, rest = b[:nl], b[nl+1:]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, rest
}

func isEmptyLine(b []byte) bool {
	return string(b) == "\n" || string(b) == "\r\n"
}

// trimOWS trims spaces, tabs and CRs as net/http trims header values.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// foldEqual reports whether b equals lower (lower case ASCII) ignoring
// ASCII case only.
func foldEqual(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseLength parses a Content-Length as net/http does: decimal digits
// only, at most 2^63-1.
func parseLength(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// targetAuthority returns the authority net/http takes as the request's
// Host from an absolute-form target ("http://host/path"), or from a
// CONNECT's authority-form target.
func targetAuthority(method, target []byte) ([]byte, bool) {
	if len(target) == 0 || target[0] == '/' || string(target) == "*" {
		return nil, false
	}
	connect := string(method) == "CONNECT"
	rest := target
	if !connect {
		var ok bool
		if rest, ok = cutScheme(target); !ok {
			return nil, false
		}
	}
	if q := bytes.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q]
	}
	if !connect {
		if !bytes.HasPrefix(rest, []byte("//")) {
			return nil, false
		}
		rest = rest[2:]
	}
	if s := bytes.IndexByte(rest, '/'); s >= 0 {
		rest = rest[:s]
	}
	return rest, true
}

// cutScheme returns what follows "scheme:" in target, if it starts with a
// scheme (RFC 3986: a letter, then letters, digits, "+", "-", ".").
func cutScheme(target []byte) ([]byte, bool) {
	i := 0
	for ; i < len(target); i++ {
		c := target[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			continue
		}
		break
	}
	if i == 0 || i == len(target) || target[i] != ':' {
		return nil, false
	}
	return target[i+1:], true
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case.
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
