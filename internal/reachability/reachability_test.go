package reachability

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
)

const (
	reachable   = servingv1alpha1.ReachabilityReachable
	pending     = servingv1alpha1.ReachabilityPending
	unreachable = servingv1alpha1.ReachabilityUnreachable
)

// function returns Function "hello" with the given latest created and latest
// ready revisions.
func function(latestCreated, latestReady string) *servingv1alpha1.Function {
	return fixture.Function("ns", "hello", fixture.WithFunctionUID("fn-uid"),
		fixture.WithLatestCreated(latestCreated), fixture.WithLatestReady(latestReady))
}

// route returns a Route with one rule whose spec and status traffic are
// given.
func route(spec []servingv1alpha1.TrafficTarget, status []servingv1alpha1.ResolvedTarget) servingv1alpha1.Route {
	opts := []fixture.RouteOption{fixture.WithRule(spec...)}
	if status != nil {
		opts = append(opts, fixture.WithResolvedRule(status...))
	}
	return *fixture.Route("ns", "rt", opts...)
}

// toHello is a target that follows Function hello's latest ready revision.
func toHello(percent int32, tag string) servingv1alpha1.TrafficTarget {
	return fixture.ToFunction("hello", percent, tag)
}

func TestOf(t *testing.T) {
	fn := function("hello-00003", "hello-00002")
	deleting := function("hello-00003", "hello-00002")
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	stranger := function("hello-00003", "hello-00001")
	stranger.UID = "other-uid"

	tests := []struct {
		name   string
		rev    string
		fn     *servingv1alpha1.Function
		routes []servingv1alpha1.Route
		want   servingv1alpha1.Reachability
	}{
		{name: "latest ready serves the Function's URL", rev: "hello-00002", fn: fn, want: reachable},
		{name: "latest created, not ready yet", rev: "hello-00003", fn: fn, want: pending},
		{name: "created after the Function's status was written", rev: "hello-00004", fn: fn, want: pending},
		{name: "latest created and ready, URL not moved yet", rev: "hello-00001",
			fn: function("hello-00001", ""), want: pending},
		{name: "Function status not written yet", rev: "hello-00001", fn: function("", ""), want: pending},
		{name: "old revision, no route", rev: "hello-00001", fn: fn, want: unreachable},
		{name: "old revision of a Function being deleted is not pending", rev: "hello-00003", fn: deleting, want: unreachable},
		{name: "latest ready of a Function being deleted still serves", rev: "hello-00002", fn: deleting, want: reachable},
		{name: "no Function", rev: "hello-00002", want: unreachable},
		{name: "a Function that does not control the revision", rev: "hello-00001", fn: stranger, want: unreachable},
		{name: "not one of the Function's revision names", rev: "other-00009", fn: fn, want: unreachable},

		{name: "route pins it", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route([]servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00001", 100, "")}, nil)},
			want:   reachable},
		{name: "route pins it without a Function", rev: "hello-00001",
			routes: []servingv1alpha1.Route{route([]servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00001", 100, "")}, nil)},
			want:   reachable},
		{name: "route pins it in a split", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route([]servingv1alpha1.TrafficTarget{toHello(90, ""), fixture.ToRevision("hello-00001", 10, "")}, nil)},
			want:   reachable},
		{name: "tag-only pinned target at 0%", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route([]servingv1alpha1.TrafficTarget{toHello(100, ""), fixture.ToRevision("hello-00001", 0, "old")}, nil)},
			want:   reachable},
		{name: "untagged pinned target at 0% carries nothing", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route([]servingv1alpha1.TrafficTarget{toHello(100, ""), fixture.ToRevision("hello-00001", 0, "")}, nil)},
			want:   unreachable},
		{name: "function target still resolved to the old revision", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route(
				[]servingv1alpha1.TrafficTarget{toHello(100, "")},
				[]servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00001", 100, "")})},
			want: reachable},
		{name: "tag-only function target resolved to it at 0%", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route(
				[]servingv1alpha1.TrafficTarget{fixture.ToRevision("other-00001", 100, ""), toHello(0, "next")},
				[]servingv1alpha1.ResolvedTarget{fixture.Resolved("", "other-00001", 100, ""), fixture.Resolved("hello", "hello-00001", 0, "next")})},
			want: reachable},
		{name: "route resolved elsewhere", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{route(
				[]servingv1alpha1.TrafficTarget{toHello(100, "")},
				[]servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00002", 100, "")})},
			want: unreachable},
		{name: "a route that pins a pending revision makes it reachable", rev: "hello-00003", fn: fn,
			routes: []servingv1alpha1.Route{route([]servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00003", 100, "")}, nil)},
			want:   reachable},
		{name: "one route of several reaches it", rev: "hello-00001", fn: fn,
			routes: []servingv1alpha1.Route{
				route([]servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00002", 100, "")}, nil),
				route([]servingv1alpha1.TrafficTarget{fixture.ToRevision("hello-00001", 100, "")}, nil),
			},
			want: reachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owner := tt.fn
			if owner == nil || owner == stranger {
				owner = fn
			}
			rev := fixture.Revision("ns", tt.rev, fixture.WithRevisionOwner(owner))
			if got := Of(rev, tt.fn, tt.routes); got != tt.want {
				t.Errorf("Of(%s) = %s, want %s", tt.rev, got, tt.want)
			}
		})
	}
}

func TestReferenced(t *testing.T) {
	rt := route(
		[]servingv1alpha1.TrafficTarget{toHello(50, ""), fixture.ToRevision("hello-00001", 50, ""), fixture.ToRevision("hello-00003", 0, "")},
		[]servingv1alpha1.ResolvedTarget{fixture.Resolved("hello", "hello-00002", 50, ""), fixture.Resolved("", "hello-00001", 50, ""), fixture.Resolved("", "", 0, "")},
	)
	got := Referenced(&rt)
	slices.Sort(got)
	got = slices.Compact(got)
	want := []string{"hello-00001", "hello-00002", "hello-00003"}
	if !slices.Equal(got, want) {
		t.Errorf("Referenced = %v, want %v", got, want)
	}
}
