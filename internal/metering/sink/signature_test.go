package sink

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSignKnownVector: the header for a known key, time and body, its HMAC
// computed independently (Python's hmac module).
func TestSignKnownVector(t *testing.T) {
	got := Sign([]byte("secret"), t0, []byte(`[{"id":"a"}]`))
	want := "t=1767225600,v1=7f4eb69d9b03a23a0d875f078371247f97d1fbc4c3a916169c843800c2283d5a"
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	key, body := []byte("k1"), []byte(`[{"id":"x"}]`)
	good := Sign(key, t0, body)
	_, v1, _ := strings.Cut(good, ",v1=")
	other := Sign([]byte("k2"), t0, body)
	_, otherV1, _ := strings.Cut(other, ",v1=")
	tests := []struct {
		name      string
		key       []byte
		header    string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "round trip", header: good, now: t0},
		{name: "within tolerance, after", header: good, now: t0.Add(time.Minute), tolerance: time.Minute},
		{name: "within tolerance, before", header: good, now: t0.Add(-time.Minute), tolerance: time.Minute},
		{name: "spaces and unknown fields", header: "t=1767225600, v0=abc, v1=" + v1, now: t0},
		{name: "second v1 matches (key rotation)", header: "t=1767225600,v1=" + otherV1 + ",v1=" + v1, now: t0},
		{name: "tampered body", header: good, body: []byte(`[{"id":"y"}]`), now: t0, want: ErrSignatureMismatch},
		{name: "wrong key", key: []byte("k2"), header: good, now: t0, want: ErrSignatureMismatch},
		{name: "tampered timestamp", header: "t=1767225601,v1=" + v1, now: t0, want: ErrSignatureMismatch},
		{name: "stale", header: good, now: t0.Add(61 * time.Second), tolerance: time.Minute, want: ErrSignatureExpired},
		{name: "from the future", header: good, now: t0.Add(-61 * time.Second), tolerance: time.Minute, want: ErrSignatureExpired},
		{name: "zero tolerance means the default", header: good, now: t0.Add(DefaultTolerance)},
		{name: "beyond the default", header: good, now: t0.Add(DefaultTolerance + time.Second), want: ErrSignatureExpired},
		{name: "empty", header: "", now: t0, want: ErrMalformedSignature},
		{name: "no t", header: "v1=" + v1, now: t0, want: ErrMalformedSignature},
		{name: "no v1", header: "t=1767225600", now: t0, want: ErrMalformedSignature},
		{name: "t not a number", header: "t=soon,v1=" + v1, now: t0, want: ErrMalformedSignature},
		{name: "two t", header: "t=1767225600,t=1767225600,v1=" + v1, now: t0, want: ErrMalformedSignature},
		{name: "v1 not hex", header: "t=1767225600,v1=zz", now: t0, want: ErrMalformedSignature},
		{name: "v1 too short", header: "t=1767225600,v1=" + v1[:62], now: t0, want: ErrMalformedSignature},
		{name: "field without =", header: "t=1767225600,v1", now: t0, want: ErrMalformedSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, b := key, body
			if tc.key != nil {
				k = tc.key
			}
			if tc.body != nil {
				b = tc.body
			}
			err := Verify(k, tc.header, b, tc.now, tc.tolerance)
			if tc.want == nil && err != nil {
				t.Fatalf("Verify: %v, want nil", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
}
