package broker

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/twmb/franz-go/pkg/kfake"
)

// kfakeLogger passes kfake's messages to a logr.Logger: errors as errors,
// warnings at V(0), informational messages (about single requests and group
// members) at V(1) and debug messages at V(2). kfake formats its messages
// itself, so each arrives as one preformatted message without key-value
// pairs.
type kfakeLogger struct {
	log logr.Logger
}

// Logf implements kfake.Logger.
func (l kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	var v int
	switch level {
	case kfake.LogLevelNone:
		return
	case kfake.LogLevelError:
		l.log.Error(nil, fmt.Sprintf(format, args...))
		return
	case kfake.LogLevelWarn:
		v = 0
	case kfake.LogLevelInfo:
		v = 1
	default:
		v = 2
	}
	if log := l.log.V(v); log.Enabled() {
		log.Info(fmt.Sprintf(format, args...))
	}
}
