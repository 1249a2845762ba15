package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/twmb/franz-go/pkg/kgo"
	"k8s.io/utils/clock"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultMaxInFlight    = 10
	DefaultMaxBatch       = 1
	DefaultAttempts       = 3
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 60 * time.Second
	DefaultTimeout        = 30 * time.Second
	DefaultCommitInterval = time.Second
	DefaultStatusInterval = 5 * time.Second
)

// Config is one trigger's consumer: what to consume, where to deliver it
// and how. Zero values mean the defaults above; New validates the rest.
type Config struct {
	// Name is the trigger's identity, e.g. "team-a/orders"; it appears in
	// logs and in every event's source attribute.
	Name string
	// Brokers are the bootstrap servers, host:port.
	Brokers []string
	// Topics are consumed together by one consumer group.
	Topics []string
	// Group is the consumer group.
	Group string
	// StartAtEarliest chooses where a partition with no committed offset
	// starts: its earliest record (true) or its end (false).
	StartAtEarliest bool
	// Ordered delivers each partition strictly in offset order, one
	// request at a time per partition; partitions proceed in parallel.
	Ordered bool
	// MaxInFlight bounds the messages being delivered at once by this
	// consumer, over all partitions (a batch counts as its messages).
	// Zero means DefaultMaxInFlight, raised to MaxBatch when that is
	// larger.
	MaxInFlight int
	// MaxBatch is the number of messages per HTTP request: 1 (the default)
	// sends each message in CloudEvents binary mode; more sends up to that
	// many messages of one partition as a CloudEvents JSON batch.
	MaxBatch int
	// Attempts is how many times one message (or batch) is tried before
	// it is dead-lettered. Zero means DefaultAttempts.
	Attempts int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts. Zero means DefaultMinBackoff, DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one HTTP attempt, and one produce to the dead-letter
	// or reply topic. Zero means DefaultTimeout.
	Timeout time.Duration
	// DeadLetterTopic receives messages that could not be delivered; ""
	// means none: such a message is retried forever and the partition is
	// not committed past it.
	DeadLetterTopic string
	// ReplyTopic, when set, receives the body of every 2xx response that
	// has one, keyed by the message's key, before the message's offset is
	// committed.
	ReplyTopic string
	// URL is where messages are POSTed, e.g.
	// "http://wake-activator.wake-system.svc/".
	URL string
	// Host is the Host header of each request (the function's host); ""
	// means URL's host.
	Host string
	// HTTPClient sends the requests; nil means a client shared by all
	// consumers that keeps connections alive, follows no redirects and
	// ignores proxy settings of the environment.
	HTTPClient *http.Client
	// ClientOpts are extra franz-go options (SASL, TLS, dialer), applied
	// after the consumer's own. They must not change the consumer group,
	// topics or committing.
	ClientOpts []kgo.Opt
	// Clock times the backoff between attempts and the timestamps in
	// Status; nil means the real clock. The periodic commit and status
	// checks run on real time.
	Clock clock.WithTicker
	// Log receives the consumer's structured logs.
	Log logr.Logger
	// OnBacklog, when set, is called when messages are fetched while none
	// were in flight or waiting, e.g. to wake a function scaled to zero.
	// It is called from its own goroutine, one call at a time; calls that
	// come while one runs are merged into one.
	OnBacklog func()
	// CommitInterval is how often finished offsets are committed when
	// something changed. Zero means DefaultCommitInterval.
	CommitInterval time.Duration
	// StatusInterval is how often the broker is asked for the topics,
	// partition ends and committed offsets shown by Status. Zero means
	// DefaultStatusInterval.
	StatusInterval time.Duration
}

// validate checks cfg after defaults were applied, returning every problem
// at once, each naming its field.
func (cfg *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	consumed := cfg.validateSource(bad)
	cfg.validateDelivery(bad)
	cfg.validateTargets(bad, consumed)
	return errors.Join(errs...)
}

// validateSource checks what is consumed, and returns the topics.
func (cfg *Config) validateSource(bad func(string, ...any)) map[string]bool {
	if cfg.Name == "" {
		bad("Name: must not be empty")
	}
	if len(cfg.Brokers) == 0 {
		bad("Brokers: at least one broker is required")
	}
	for i, b := range cfg.Brokers {
		if strings.TrimSpace(b) == "" {
			bad("Brokers[%d]: must not be empty", i)
		}
	}
	if len(cfg.Topics) == 0 {
		bad("Topics: at least one topic is required")
	}
	seen := map[string]bool{}
	for i, t := range cfg.Topics {
		if err := validTopic(t); err != nil {
			bad("Topics[%d]: %w", i, err)
		} else if seen[t] {
			bad("Topics[%d]: %q is listed twice", i, t)
		}
		seen[t] = true
	}
	if cfg.Group == "" {
		bad("Group: must not be empty")
	}
	return seen
}

// validateDelivery checks the numbers.
func (cfg *Config) validateDelivery(bad func(string, ...any)) {
	if cfg.MaxInFlight < 1 {
		bad("MaxInFlight: must be at least 1, got %d", cfg.MaxInFlight)
	}
	if cfg.MaxBatch < 1 {
		bad("MaxBatch: must be at least 1, got %d", cfg.MaxBatch)
	} else if cfg.MaxInFlight >= 1 && cfg.MaxBatch > cfg.MaxInFlight {
		bad("MaxBatch: %d is more than MaxInFlight (%d): a batch could never be sent", cfg.MaxBatch, cfg.MaxInFlight)
	}
	if cfg.Attempts < 1 {
		bad("Attempts: must be at least 1, got %d", cfg.Attempts)
	}
	if cfg.MinBackoff <= 0 {
		bad("MinBackoff: must be positive, got %s", cfg.MinBackoff)
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		bad("MaxBackoff: %s is less than MinBackoff (%s)", cfg.MaxBackoff, cfg.MinBackoff)
	}
	if cfg.Timeout <= 0 {
		bad("Timeout: must be positive, got %s", cfg.Timeout)
	}
	if cfg.CommitInterval <= 0 {
		bad("CommitInterval: must be positive, got %s", cfg.CommitInterval)
	}
	if cfg.StatusInterval <= 0 {
		bad("StatusInterval: must be positive, got %s", cfg.StatusInterval)
	}
}

// validateTargets checks where messages, dead letters and replies go.
func (cfg *Config) validateTargets(bad func(string, ...any), consumed map[string]bool) {
	for _, f := range []struct{ field, topic, what string }{
		{"DeadLetterTopic", cfg.DeadLetterTopic, "dead letters"},
		{"ReplyTopic", cfg.ReplyTopic, "replies"},
	} {
		if f.topic == "" {
			continue
		}
		if err := validTopic(f.topic); err != nil {
			bad("%s: %w", f.field, err)
		} else if consumed[f.topic] {
			bad("%s: %q is also consumed (Topics): %s would be delivered again", f.field, f.topic, f.what)
		}
	}
	if err := validURL(cfg.URL); err != nil {
		bad("URL: %w", err)
	}
	if strings.ContainsAny(cfg.Host, " \t\r\n/") {
		bad("Host: %q is not a host[:port]", cfg.Host)
	}
}

// validTopic applies Kafka's rules for topic names.
func validTopic(t string) error {
	switch {
	case t == "":
		return errors.New("topic must not be empty")
	case t == "." || t == "..":
		return fmt.Errorf("topic %q is not allowed", t)
	case len(t) > 249:
		return fmt.Errorf("topic %q is longer than 249 characters", t)
	}
	for _, r := range t {
		if !topicChar(r) {
			return fmt.Errorf("topic %q has %q: only ASCII letters, digits, '.', '_' and '-' are allowed", t, r)
		}
	}
	return nil
}

func topicChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

func validURL(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = max(DefaultMaxInFlight, cfg.MaxBatch)
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.CommitInterval == 0 {
		cfg.CommitInterval = DefaultCommitInterval
	}
	if cfg.StatusInterval == 0 {
		cfg.StatusInterval = DefaultStatusInterval
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	// Copy the slices so the caller's later changes do not reach us.
	cfg.Brokers = append([]string(nil), cfg.Brokers...)
	cfg.Topics = append([]string(nil), cfg.Topics...)
	cfg.ClientOpts = append([]kgo.Opt(nil), cfg.ClientOpts...)
	return cfg
}
