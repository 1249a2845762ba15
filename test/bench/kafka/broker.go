//go:build e2e

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
)

// broker reaches the embedded development broker from this machine. The
// broker advertises its in-cluster DNS name, which does not resolve here,
// so every connection dials the broker pod's IP (as test/e2e does).
type broker struct {
	addr  string
	admin *kadm.Client
	// producer produces with no linger (as the dispatcher does) to the
	// partition each record names.
	producer *kgo.Client
}

// findBroker connects to the wake-broker-0 pod.
func findBroker(ctx context.Context, c client.Reader) (*broker, error) {
	pod := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-broker-0"}, pod); err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	if pod.Status.PodIP == "" {
		return nil, errors.New("embedded broker wake-broker-0 has no IP")
	}
	b := &broker{addr: net.JoinHostPort(pod.Status.PodIP, "9092")}
	adm, err := b.client()
	if err != nil {
		return nil, err
	}
	b.admin = kadm.NewClient(adm)
	if b.producer, err = b.client(kgo.RecordPartitioner(kgo.ManualPartitioner())); err != nil {
		adm.Close()
		return nil, err
	}
	return b, nil
}

// client returns a new client of the broker with opts after the defaults.
func (b *broker) client(opts ...kgo.Opt) (*kgo.Client, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(b.addr),
		kgo.Dialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, b.addr)
		}),
		kgo.ProducerLinger(0),
	}, opts...)...)
}

// close closes the admin and producer clients.
func (b *broker) close() {
	b.producer.Close()
	b.admin.Close()
}

// createTopic creates topic with the given number of partitions.
func (b *broker) createTopic(ctx context.Context, topic string, partitions int32) error {
	resp, err := b.admin.CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// cleanUp deletes the topics whose names start with prefix, then the
// consumer groups whose names start with "wake."+prefix (the triggers'
// default groups), trying again while a group still has members: the
// dispatcher leaves a group once its trigger is gone.
func (b *broker) cleanUp(ctx context.Context, prefix string) error {
	topics, err := b.admin.ListTopics(ctx)
	if err != nil {
		return err
	}
	var del []string
	for _, t := range topics.Names() {
		if strings.HasPrefix(t, prefix) {
			del = append(del, t)
		}
	}
	resps, err := b.admin.DeleteTopics(ctx, del...)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	_, err = poll.Until(ctx, 500*time.Millisecond, func(ctx context.Context) error {
		groups, err := b.admin.ListGroups(ctx)
		if err != nil {
			return err
		}
		var del []string
		for _, g := range groups.Groups() {
			if strings.HasPrefix(g, "wake."+prefix) {
				del = append(del, g)
			}
		}
		if len(del) == 0 {
			return nil
		}
		resps, err := b.admin.DeleteGroups(ctx, del...)
		if err != nil {
			return err
		}
		for _, r := range resps {
			if r.Err != nil {
				return fmt.Errorf("group %s: %w", r.Group, r.Err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete consumer groups: %w", err)
	}
	return nil
}

// produce produces one record with value to partition 0 of topic, and
// returns the CloudEvent ID the dispatcher delivers it with
// (<topic>-<partition>-<offset>) and when the broker acknowledged it.
func (b *broker) produce(ctx context.Context, topic, value string) (string, time.Time, error) {
	res := b.producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)})
	acked := time.Now()
	r, err := res.First()
	if err != nil {
		return "", acked, fmt.Errorf("produce to %s: %w", topic, err)
	}
	return ceID(r), acked, nil
}

// ceID is the CloudEvent ID the dispatcher delivers r with.
func ceID(r *kgo.Record) string { return fmt.Sprintf("%s-%d-%d", r.Topic, r.Partition, r.Offset) }

// reply is one record of a reply topic: the ce-id of a delivered message.
type reply struct {
	id string
	// produced is the record's timestamp, which the dispatcher's producer
	// set (milliseconds) when it produced the reply, right after reading
	// the Function's answer.
	produced time.Time
	// read is when this client's poll returned it.
	read time.Time
}

// readReplies consumes topic from its start until ctx ends, sending each
// record as a reply; the channel is closed when it stops.
func (b *broker) readReplies(ctx context.Context, topic string) (<-chan reply, error) {
	cl, err := b.client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	out := make(chan reply, 1024)
	go func() {
		defer close(out)
		defer cl.Close()
		for {
			fs := cl.PollFetches(ctx)
			read := time.Now()
			if ctx.Err() != nil || fs.IsClientClosed() {
				return
			}
			if fs.NumRecords() == 0 && len(fs.Errors()) > 0 {
				time.Sleep(50 * time.Millisecond) // e.g. the topic not known yet
			}
			fs.EachRecord(func(r *kgo.Record) {
				select {
				case out <- reply{id: string(r.Value), produced: r.Timestamp, read: read}:
				case <-ctx.Done():
				}
			})
		}
	}()
	return out, nil
}

// waitReply reads replies until the one for id, or ctx ends.
func waitReply(ctx context.Context, replies <-chan reply, id string) (reply, error) {
	for {
		select {
		case <-ctx.Done():
			return reply{}, fmt.Errorf("no reply for %s: %w", id, ctx.Err())
		case r, ok := <-replies:
			if !ok {
				return reply{}, errors.New("reply reader stopped")
			}
			if r.id == id {
				return r, nil
			}
		}
	}
}
