package sink

import (
	"context"
	"errors"

	"github.com/wakefn/wake/internal/metering"
)

// Sink is where an Exporter delivers events. It is small on purpose, so
// that sinks other than JSONLines and Webhook (a Kafka producer next) need
// only name themselves and send a batch.
type Sink interface {
	// Name names the sink in metrics and logs; it is the sink label.
	Name() string
	// Send delivers batch, in order, and returns nil only once the sink
	// has accepted all of it. An error wrapped with Permanent means that
	// sending the same batch again cannot succeed, and the batch is
	// dropped; any other error is retried. Send must honour ctx, and must
	// neither modify batch nor keep it after returning.
	Send(ctx context.Context, batch []metering.Event) error
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot fix (the sink refused
// the batch as it is): the Exporter drops the batch instead of sending it
// again. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanent
	return errors.As(err, &p)
}
