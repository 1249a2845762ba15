package keeper

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The protocol's lines (see the package comment).
const (
	lineTake     = "take"
	lineRelease  = "release"
	lineReleased = "released"
	headerPrefix = "wake-keeper/1 "
)

const (
	// maxListeners bounds the descriptors one take hands over.
	maxListeners = 8
	// maxLine bounds a protocol line, newline included.
	maxLine = 64
	// exchangeTimeout bounds one exchange (a request and its answer).
	exchangeTimeout = 5 * time.Second
)

// readLine reads one line of at most maxLine bytes and returns it without
// its newline.
func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("line longer than %d bytes", maxLine)
	}
	if err != nil {
		return "", err
	}
	return string(b[:len(b)-1]), nil
}

// newLineReader returns a reader for readLine.
func newLineReader(c interface{ Read([]byte) (int, error) }) *bufio.Reader {
	return bufio.NewReaderSize(c, maxLine)
}

// header is the line announcing n descriptors.
func header(n int) string { return headerPrefix + strconv.Itoa(n) + "\n" }

// parseHeader returns the count a header announces.
func parseHeader(b []byte) (int, error) {
	s, ok := strings.CutSuffix(string(b), "\n")
	if ok {
		s, ok = strings.CutPrefix(s, headerPrefix)
	}
	if !ok {
		return 0, fmt.Errorf("not a keeper header: %q", b)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxListeners {
		return 0, fmt.Errorf("keeper announced %q descriptors, want 1 to %d", s, maxListeners)
	}
	return n, nil
}
