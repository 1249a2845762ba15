package server

import "net/http"

// HTTP/2 limits of the data server, explicit rather than Go's defaults
// (250 streams, 1 MiB receive windows per connection and per stream), so
// that what one client connection can make the activator buffer is small
// and known. An h2c client can send up to a stream's window into each
// stream the activator does not read yet (a request waiting in a queue)
// and up to the connection's window in all; the Go server buffers that
// data in memory. With these values one connection holds at most 256 KiB
// of unread request bodies (Go's default: 1 MiB), and four queued uploads
// fill a connection's window before other streams on it stall.
const (
	// HTTP2MaxConcurrentStreams is the most streams one client connection
	// may have open (the Envoy edge recommendation; Go's default is 250).
	HTTP2MaxConcurrentStreams = 100
	// HTTP2MaxReceiveBufferPerConnection is the flow-control window for
	// request data on one connection.
	HTTP2MaxReceiveBufferPerConnection = 256 << 10
	// HTTP2MaxReceiveBufferPerStream is the flow-control window for one
	// request's data.
	HTTP2MaxReceiveBufferPerStream = 64 << 10
	// HTTP2MaxReadFrameSize is the largest frame the server reads: the
	// protocol's minimum and default.
	HTTP2MaxReadFrameSize = 16 << 10
	// HTTP2MaxHeaderTableSize bounds the HPACK tables both ways: the
	// protocol's default.
	HTTP2MaxHeaderTableSize = 4096
)

// http2Config returns the data server's HTTP/2 settings.
func http2Config() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams:          HTTP2MaxConcurrentStreams,
		MaxDecoderHeaderTableSize:     HTTP2MaxHeaderTableSize,
		MaxEncoderHeaderTableSize:     HTTP2MaxHeaderTableSize,
		MaxReadFrameSize:              HTTP2MaxReadFrameSize,
		MaxReceiveBufferPerConnection: HTTP2MaxReceiveBufferPerConnection,
		MaxReceiveBufferPerStream:     HTTP2MaxReceiveBufferPerStream,
	}
}
