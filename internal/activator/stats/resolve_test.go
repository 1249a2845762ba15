package stats

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestDNSResolver(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]string, error) {
		switch host {
		case "wake-autoscaler.wake-system.svc":
			return []string{"10.0.0.2", "10.0.0.1", "10.0.0.2", "fd00::1"}, nil
		case "10.0.0.9":
			return []string{"10.0.0.9"}, nil
		}
		return nil, errors.New("no such host")
	}
	tests := []struct {
		address string
		want    []string
		wantErr bool
	}{
		{"wake-autoscaler.wake-system.svc:8090", []string{"10.0.0.1:8090", "10.0.0.2:8090", "[fd00::1]:8090"}, false},
		{"10.0.0.9:8090", []string{"10.0.0.9:8090"}, false},
		{"gone.wake-system.svc:8090", nil, true},
		{"no-port", nil, true},
		{":8090", nil, true},
	}
	for _, tc := range tests {
		got, err := DNSResolver(tc.address, lookup)(context.Background())
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v (error %v)", tc.address, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestDNSResolverDefaultLookup(t *testing.T) {
	got, err := DNSResolver("127.0.0.1:8090", nil)(context.Background())
	if err != nil || !slices.Equal(got, []string{"127.0.0.1:8090"}) {
		t.Fatalf("got %v, %v", got, err)
	}
}
