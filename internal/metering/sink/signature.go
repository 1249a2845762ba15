package sink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header that carries a webhook body's
// signature (Sign).
const SignatureHeader = "Wake-Signature"

// DefaultTolerance is how far from the receiver's clock Verify accepts a
// signature's timestamp when given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	// ErrMalformedSignature is a header that is not t=<unix>,v1=<hex>.
	ErrMalformedSignature = errors.New("malformed signature header")
	// ErrSignatureMismatch is a signature that is not the body's under
	// the key: a wrong key, or a changed body or timestamp.
	ErrSignatureMismatch = errors.New("signature does not match")
	// ErrSignatureExpired is a timestamp too far from now: a replay, or
	// clocks that disagree.
	ErrSignatureExpired = errors.New("signature timestamp outside tolerance")
)

// Sign returns the SignatureHeader value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>." + body)>".
func Sign(key []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(key, ts, body))
}

// mac is HMAC-SHA256(key, ts + "." + body).
func mac(key []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	_, _ = h.Write([]byte(ts)) // a hash never fails
	_, _ = h.Write([]byte{'.'})
	_, _ = h.Write(body)
	return h.Sum(nil)
}

// Verify checks a SignatureHeader value against body, as a receiver does:
// the header must be t=<unix seconds> and one or more v1=<hex> (more than
// one while a key is being changed; fields other than t and v1 are
// ignored), one v1 must be the HMAC of body under key (compared in
// constant time), and t must be within tolerance of now (DefaultTolerance
// if tolerance is not positive). It returns nil, or an error wrapping
// ErrMalformedSignature, ErrSignatureMismatch or ErrSignatureExpired.
func Verify(key []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	want := mac(key, ts, body)
	matched := false
	for _, s := range sigs {
		matched = hmac.Equal(s, want) || matched
	}
	if !matched {
		return ErrSignatureMismatch
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // parseSignature checked it
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %d, %v from now", ErrSignatureExpired, sec, d.Round(time.Second))
	}
	return nil
}

// parseSignature returns the t field of a header, as written, and its v1
// signatures, decoded.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	seenT := false
	for field := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: field %q has no '='", ErrMalformedSignature, field)
		}
		switch k {
		case "t":
			if seenT {
				return "", nil, fmt.Errorf("%w: more than one t", ErrMalformedSignature)
			}
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return "", nil, fmt.Errorf("%w: t=%q is not a unix time", ErrMalformedSignature, v)
			}
			ts, seenT = v, true
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not %d hex bytes", ErrMalformedSignature, sha256.Size)
			}
			sigs = append(sigs, s)
		}
	}
	if !seenT || len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: want t=<unix seconds>,v1=<hex>", ErrMalformedSignature)
	}
	return ts, sigs, nil
}
