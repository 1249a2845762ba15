package delivery

import (
	"net"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLogger passes franz-go's logs to logr: errors as errors, warnings at
// V(0), info at V(1), debug at V(2).
type kgoLogger struct{ log logr.Logger }

func (l kgoLogger) Level() kgo.LogLevel {
	switch {
	case l.log.V(2).Enabled():
		return kgo.LogLevelDebug
	case l.log.V(1).Enabled():
		return kgo.LogLevelInfo
	default:
		return kgo.LogLevelWarn
	}
}

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	switch level {
	case kgo.LogLevelError:
		l.log.Error(nil, msg, keyvals...)
	case kgo.LogLevelWarn:
		l.log.Info(msg, keyvals...)
	case kgo.LogLevelInfo:
		l.log.V(1).Info(msg, keyvals...)
	default:
		l.log.V(2).Info(msg, keyvals...)
	}
}

// hooks sees the client's connections, for Status.
type hooks struct{ c *Consumer }

var _ kgo.HookBrokerConnect = hooks{}

// OnBrokerConnect records the last dial error; before any broker answered,
// it is the broker error shown.
func (h hooks) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil {
		return
	}
	c := h.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dialErr = "connecting to " + net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port))) + ": " + truncate(err.Error(), 300)
	if !c.stat.BrokerReachable {
		c.stat.BrokerError = c.dialErr
	}
}
