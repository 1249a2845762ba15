package statauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// maxTokenBytes bounds the tokens looked at; statwire.MaxAuthBytes bounds
// them on the wire already.
const maxTokenBytes = 16 << 10

// claims are the parts of a JWT payload the Authenticator reads.
type claims struct {
	Subject  string   `json:"sub"`
	Audience audience `json:"aud"`
	Expiry   *float64 `json:"exp"`
}

// audience is a JWT aud claim: a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud is neither a string nor a list of strings: %w", err)
	}
	*a = many
	return nil
}

func (a audience) has(want string) bool {
	for _, s := range a {
		if s == want {
			return true
		}
	}
	return false
}

// expiry returns the exp claim as a time.
func (c claims) expiry() (time.Time, error) {
	if c.Expiry == nil {
		return time.Time{}, errors.New("no exp claim")
	}
	e := *c.Expiry
	if math.IsNaN(e) || e <= 0 || e > 1<<40 {
		return time.Time{}, fmt.Errorf("exp claim %v out of range", e)
	}
	return time.Unix(int64(e), 0), nil
}

// parseClaims decodes a JWT's payload WITHOUT checking its signature. Use
// what it returns only to refuse a token, or after the API server has
// accepted the token.
func parseClaims(token string) (claims, error) {
	if len(token) > maxTokenBytes {
		return claims{}, fmt.Errorf("token of %d bytes is over %d", len(token), maxTokenBytes)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, fmt.Errorf("not a JWT: %d parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return claims{}, fmt.Errorf("JWT payload: %w", err)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, fmt.Errorf("JWT claims: %w", err)
	}
	return c, nil
}
