package broker

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
)

// DefaultPartitions is the number of partitions of a topic the broker
// creates (auto-created or listed in Options.Topics) when
// Options.Partitions is zero.
const DefaultPartitions = 3

// MaxPartitions bounds Options.Partitions: every partition costs the
// broker open files and memory, and a development broker never needs more.
const MaxPartitions = 1000

// maxTopicLen is Kafka's limit on a topic name's length.
const maxTopicLen = 249

// Options configure a broker. Each field but Log is the flag of cmd/broker
// named in its comment, and validation errors name that flag.
type Options struct {
	// Listen is the TCP address the broker listens on (-listen), e.g.
	// ":9092" for every interface or "127.0.0.1:0" for a free loopback
	// port.
	Listen string

	// Advertise is the host:port the broker tells clients to connect to in
	// its Metadata and FindCoordinator responses (-advertise), e.g.
	// "wake-broker-0.wake-broker.wake-system.svc:9092". Clients in other
	// pods bootstrap from any address that reaches the broker and then use
	// only this one, so it must resolve and route from where they run.
	// Empty advertises the address the broker listens on, which is only
	// allowed when Listen names a host (not ":9092" or "0.0.0.0:9092").
	Advertise string

	// DataDir is the folder holding topics, records, committed offsets
	// and producer state (-data-dir); a broker started on the folder of a
	// stopped one carries on where it stopped. It is created if missing.
	// Empty keeps everything in memory, lost when the broker stops.
	DataDir string

	// SyncWrites fsyncs every produced batch and state change before the
	// broker answers (-sync-writes). Without it, each write still goes to
	// the kernel before the broker answers, so it survives a crash of the
	// broker's process or container, and reaches the disk when its
	// segment rolls or the broker stops (Close fsyncs the folder): only a
	// crash of the node can lose the latest writes.
	SyncWrites bool

	// Partitions is the number of partitions of the topics the broker
	// creates itself: auto-created topics and Topics (-partitions). Zero
	// means DefaultPartitions. Topics that clients create with
	// CreateTopics get what they ask for.
	Partitions int

	// AutoCreateTopics creates a topic, with Partitions partitions, when a
	// client asks for the metadata of a topic that does not exist and
	// allows auto-creation, as producers do by default
	// (-auto-create-topics).
	AutoCreateTopics bool

	// Topics are created at start, with Partitions partitions, unless they
	// exist already (-topics). Existing topics are never changed.
	Topics []string

	// Log receives the broker's own messages and kfake's warnings and
	// errors (kfake's per-request messages at V(1) and V(2)).
	Log logr.Logger
}

// Validate reports the first invalid option, naming its flag. It does not
// change o; the zero Partitions is valid and means DefaultPartitions.
func (o *Options) Validate() error {
	listenHost, err := splitAddr(o.Listen, true)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", o.Listen, err)
	}
	if o.Advertise == "" {
		if ip := net.ParseIP(listenHost); listenHost == "" || (ip != nil && ip.IsUnspecified()) {
			return fmt.Errorf("-advertise is required when -listen %q names no host: clients would be told to connect to %q", o.Listen, o.Listen)
		}
	} else if _, err := splitAddr(o.Advertise, false); err != nil {
		return fmt.Errorf("-advertise %q: %w", o.Advertise, err)
	}
	if o.Partitions < 0 || o.Partitions > MaxPartitions {
		return fmt.Errorf("-partitions %d: must be between 1 and %d (0 means %d)", o.Partitions, MaxPartitions, DefaultPartitions)
	}
	for _, t := range o.Topics {
		if err := validTopic(t); err != nil {
			return fmt.Errorf("-topics: topic %q: %w", t, err)
		}
	}
	return nil
}

// partitions is the number of partitions of the topics the broker creates.
func (o *Options) partitions() int {
	if o.Partitions == 0 {
		return DefaultPartitions
	}
	return o.Partitions
}

// splitAddr checks a host:port address and returns its host. The port must
// be a number; zero (any free port) is allowed only if listen. A missing
// host is allowed only if listen.
func splitAddr(addr string, listen bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if !listen {
		if host == "" {
			return "", errors.New("missing host")
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			return "", fmt.Errorf("%s is not an address clients can connect to", host)
		}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if n == 0 && !listen {
		return "", errors.New("port 0 cannot be advertised")
	}
	return host, nil
}

// validTopic applies Kafka's rules for topic names.
func validTopic(t string) error {
	switch {
	case t == "":
		return errors.New("empty name")
	case t == "." || t == "..":
		return errors.New(`"." and ".." are not allowed`)
	case len(t) > maxTopicLen:
		return fmt.Errorf("longer than %d characters", maxTopicLen)
	}
	for _, r := range t {
		if !topicRune(r) {
			return fmt.Errorf("character %q: only ASCII letters, digits, '.', '_' and '-' are allowed", r)
		}
	}
	return nil
}

// topicRune reports whether r may appear in a topic name.
func topicRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return r == '.' || r == '_' || r == '-'
}

// DefaultAdvertise is the address cmd/broker advertises when -advertise is
// not given: podName.service at the port of listen, the stable DNS name of
// a StatefulSet's pod behind its headless Service, e.g.
// DefaultAdvertise("wake-broker-0", "wake-broker.wake-system.svc", ":9092")
// is "wake-broker-0.wake-broker.wake-system.svc:9092". It is empty when
// podName or service is empty or listen has no valid port, which makes the
// broker advertise its listen address.
func DefaultAdvertise(podName, service, listen string) string {
	if podName == "" || service == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	return net.JoinHostPort(podName+"."+strings.TrimSuffix(service, "."), port)
}

// ParseTopics splits the comma-separated list of -topics, trimming spaces
// and dropping empty entries.
func ParseTopics(list string) []string {
	var topics []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	return topics
}
