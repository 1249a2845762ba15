package ingress

import "bytes"

// state is where a framer is in the byte stream of one connection.
type state uint8

const (
	stHead      state = iota // at (or inside) a request head
	stBody                   // inside a Content-Length body
	stChunkLine              // inside a chunk-size line
	stChunkData              // inside chunk data
	stChunkCR                // expecting the CR after chunk data
	stChunkLF                // expecting the LF after chunk data
	stTrailer                // inside the trailer section of a chunked body
	stPass                   // not HTTP/1.x any more (HTTP/2, an upgrade): pass everything
	stDead                   // malformed body: nothing more is handed out
	stRefused                // a head was refused: refusedHead, then EOF
)

// maxChunkLine is the longest chunk-size line net/http reads (its 4 KiB
// buffer less the CRLF).
const maxChunkLine = 4096 - 2

// framer follows HTTP/1.x message framing the way net/http's server reads
// it, so that it knows where each request head starts.
type framer struct {
	st    state
	limit int // longest unfinished head held, and longest trailer section

	skip    int    // CR or LF bytes net/http skips before the next head (after a POST)
	scanned int    // bytes of the unfinished head already searched for its end
	n       uint64 // bytes left in a body or chunk; a chunk-size being parsed

	// chunk-size line and trailer section
	lineLen int
	digits  int
	phase   uint8 // chunk-size line: 0 digits, 1 spaces after them, 2 extension
	sawCR   bool
	empty   bool // trailer: the line so far is empty (or a single CR)

	onHead func(i int) // tests: called with the offset in scan's b of each head accepted
}

// scan advances over b, which continues the bytes scanned before. It
// returns how many bytes of b may be handed to net/http: all of them, up
// to the start of a head not yet complete, or up to the start of a head it
// refuses (reason is then set), or up to a malformed body (stDead).
func (f *framer) scan(b []byte) (ok int, reason string) {
	i := 0
	for i < len(b) {
		switch f.st {
		case stPass:
			return len(b), ""
		case stDead, stRefused:
			return i, ""
		case stHead:
			next, stop, reason := f.scanHead(b, i)
			if stop {
				return next, reason
			}
			i = next
		case stBody, stChunkData:
			k := uint64(len(b) - i)
			if k > f.n {
				k = f.n
			}
			i += int(k)
			f.n -= k
			if f.n == 0 {
				if f.st == stBody {
					f.st = stHead
				} else {
					f.st = stChunkCR
				}
			}
		case stChunkCR, stChunkLF:
			want, next := byte('\r'), stChunkLF
			if f.st == stChunkLF {
				want, next = '\n', stChunkLine
				f.beginChunk()
			}
			if b[i] != want {
				f.st = stDead
				return i, ""
			}
			i++
			f.st = next
		case stChunkLine:
			i += f.chunkLine(b[i:])
		case stTrailer:
			i += f.trailer(b[i:])
		}
	}
	return i, ""
}

// scanHead scans the head that starts at b[i:], after any stray CR or LF
// net/http forgives. It returns where scanning goes on, or, with stop set,
// what scan returns: the head is not complete yet, is passed on unchecked
// (over the limit: net/http answers 431), or is refused.
func (f *framer) scanHead(b []byte, i int) (next int, stop bool, reason string) {
	for f.skip > 0 && i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		i++
		f.skip--
	}
	if i == len(b) {
		return i, true, ""
	}
	f.skip = 0
	end, found := headEnd(b[i:], &f.scanned)
	if !found {
		if len(b)-i > f.limit { // net/http answers 431 and closes
			f.st = stPass
			return len(b), true, ""
		}
		return i, true, ""
	}
	f.scanned = 0
	if end > f.limit {
		f.st = stPass
		return len(b), true, ""
	}
	if reason := f.head(b[i : i+end]); reason != "" {
		return i, true, reason
	}
	if f.onHead != nil {
		f.onHead(i)
	}
	return i + end, false, ""
}

// headEnd returns the length of the head at the start of h, up to and
// including its empty line, if h holds all of it. *scanned is where the
// search resumes (always the start of a line).
func headEnd(h []byte, scanned *int) (int, bool) {
	pos := *scanned
	for {
		nl := bytes.IndexByte(h[pos:], '\n')
		if nl < 0 {
			*scanned = pos
			return 0, false
		}
		if nl == 0 || nl == 1 && h[pos] == '\r' {
			return pos + nl + 1, true
		}
		pos += nl + 1
	}
}

// beginChunk resets the chunk-size line state.
func (f *framer) beginChunk() {
	f.n, f.lineLen, f.digits, f.phase, f.sawCR = 0, 0, 0, 0, false
}

// chunkLine scans a chunk-size line as net/http's chunked reader does:
// CRLF-terminated with no other CR, 1 to 16 hex digits, then optional
// spaces or tabs, or ';' and an extension. It returns the bytes used.
func (f *framer) chunkLine(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			if !f.sawCR || f.digits == 0 {
				f.st = stDead
				return i
			}
			if f.n == 0 {
				f.st, f.lineLen, f.empty, f.sawCR = stTrailer, 0, true, false
			} else {
				f.st = stChunkData
			}
			return i + 1
		}
		if f.sawCR {
			f.st = stDead
			return i
		}
		if c == '\r' {
			f.sawCR = true
			continue
		}
		if f.lineLen == maxChunkLine {
			f.st = stDead
			return i
		}
		f.lineLen++
		switch f.phase {
		case 0:
			if d, ok := hexDigit(c); ok && f.digits < 16 {
				f.n = f.n<<4 | uint64(d)
				f.digits++
				continue
			}
			switch {
			case f.digits == 0:
				f.st = stDead
				return i
			case c == ' ' || c == '\t':
				f.phase = 1
			case c == ';':
				f.phase = 2
			default:
				f.st = stDead
				return i
			}
		case 1:
			if c != ' ' && c != '\t' {
				f.st = stDead
				return i
			}
		}
	}
	return len(b)
}

// trailer scans the trailer section after the last chunk up to its empty
// line (a bare LF or CRLF, as net/http's header reader ends it). It
// returns the bytes used.
func (f *framer) trailer(b []byte) int {
	for i, c := range b {
		f.lineLen++
		if f.lineLen > f.limit {
			f.st = stDead
			return i
		}
		switch {
		case c == '\n' && f.empty:
			f.st = stHead
			return i + 1
		case c == '\n':
			f.empty, f.sawCR = true, false
		case c == '\r' && f.empty && !f.sawCR:
			f.sawCR = true
		default:
			f.empty = false
		}
	}
	return len(b)
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
