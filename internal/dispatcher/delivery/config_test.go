package delivery

import (
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{Name: "ns/t", Brokers: []string{"localhost:9092"}, Topics: []string{"orders"}, Group: "g", URL: "http://activator/"}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   []string // substrings of the error, naming the fields
	}{
		{"no name", func(c *Config) { c.Name = "" }, []string{"Name:"}},
		{"no brokers", func(c *Config) { c.Brokers = nil }, []string{"Brokers:"}},
		{"empty broker", func(c *Config) { c.Brokers = []string{"a:1", " "} }, []string{"Brokers[1]:"}},
		{"no topics", func(c *Config) { c.Topics = nil }, []string{"Topics:"}},
		{"bad topic", func(c *Config) { c.Topics = []string{"ok", "not ok/"} }, []string{"Topics[1]:"}},
		{"topic twice", func(c *Config) { c.Topics = []string{"a", "a"} }, []string{"Topics[1]:", "twice"}},
		{"no group", func(c *Config) { c.Group = "" }, []string{"Group:"}},
		{"negative in flight", func(c *Config) { c.MaxInFlight = -1 }, []string{"MaxInFlight:"}},
		{"batch over in flight", func(c *Config) { c.MaxInFlight, c.MaxBatch = 5, 6 }, []string{"MaxBatch:"}},
		{"negative batch", func(c *Config) { c.MaxBatch = -2 }, []string{"MaxBatch:"}},
		{"negative attempts", func(c *Config) { c.Attempts = -1 }, []string{"Attempts:"}},
		{"negative backoff", func(c *Config) { c.MinBackoff = -time.Second }, []string{"MinBackoff:"}},
		{"max below min", func(c *Config) { c.MinBackoff, c.MaxBackoff = 2*time.Second, time.Second }, []string{"MaxBackoff:"}},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, []string{"Timeout:"}},
		{"dead letters consumed", func(c *Config) { c.DeadLetterTopic = "orders" }, []string{"DeadLetterTopic:"}},
		{"bad reply topic", func(c *Config) { c.ReplyTopic = "a b" }, []string{"ReplyTopic:"}},
		{"no url", func(c *Config) { c.URL = "" }, []string{"URL:"}},
		{"url scheme", func(c *Config) { c.URL = "ftp://x/" }, []string{"URL:"}},
		{"url host", func(c *Config) { c.URL = "http:///path" }, []string{"URL:"}},
		{"host", func(c *Config) { c.Host = "a b" }, []string{"Host:"}},
		{"several at once", func(c *Config) { c.Group, c.URL = "", "" }, []string{"Group:", "URL:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			_, err := New(cfg)
			if err == nil {
				t.Fatal("New accepted an invalid config")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if got.MaxInFlight != DefaultMaxInFlight || got.MaxBatch != 1 || got.Attempts != DefaultAttempts ||
		got.MinBackoff != DefaultMinBackoff || got.MaxBackoff != DefaultMaxBackoff || got.Timeout != DefaultTimeout ||
		got.HTTPClient == nil || got.Clock == nil {
		t.Fatalf("defaults not applied: %+v", got)
	}
	cfg := validConfig()
	cfg.MaxBatch = 50
	if c, err = New(cfg); err != nil || c.cfg.MaxInFlight != 50 {
		t.Fatalf("MaxBatch 50 with default MaxInFlight: %v, MaxInFlight %d; want it raised to 50", err, c.cfg.MaxInFlight)
	}
}
