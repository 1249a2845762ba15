package config

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestWatcher(t *testing.T) {
	cm := func(data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "wake-system", Name: Name}, Data: data}
	}
	getFails := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, o client.Object, opts ...client.GetOption) error {
		return errors.New("boom")
	}}
	// The store's configuration before the reconcile: a good stable window
	// that a malformed one must not replace.
	before := map[string]string{KeyStableWindow: "90s"}

	tests := []struct {
		name    string
		objects []client.Object
		funcs   interceptor.Funcs
		want    func(*Config) // applied to Default()
		events  []string      // substrings, in order
		err     string
	}{{
		name:    "valid values are stored, with no event",
		objects: []client.Object{cm(map[string]string{KeyStableWindow: "2m", KeyQueueDepth: "50"})},
		want: func(c *Config) {
			c.Autoscaler.StableWindow = 2 * time.Minute
			c.Activator.QueueDepth = 50
		},
	}, {
		name:    "a malformed value keeps its last good value and is reported as a Warning event naming the key",
		objects: []client.Object{cm(map[string]string{KeyStableWindow: "soon", KeyQueueDepth: "50"})},
		want: func(c *Config) {
			c.Autoscaler.StableWindow = 90 * time.Second
			c.Activator.QueueDepth = 50
		},
		events: []string{corev1.EventTypeWarning + " " + ReasonInvalidConfig + ` stable-window: invalid value "soon"`},
	}, {
		name:    "a ConfigMap with no data keeps the last values",
		objects: []client.Object{cm(nil)},
		want:    func(c *Config) { c.Autoscaler.StableWindow = 90 * time.Second },
	}, {
		name: "a missing ConfigMap restores the defaults",
		want: func(*Config) {},
	}, {
		name:  "a failed read is returned and changes nothing",
		funcs: getFails,
		want:  func(c *Config) { c.Autoscaler.StableWindow = 90 * time.Second },
		err:   "get wake-system/wake-config: boom",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).
				WithObjects(tt.objects...).WithInterceptorFuncs(tt.funcs).Build()
			store := NewStore()
			if err := store.Update(before); err != nil {
				t.Fatal(err)
			}
			rec := events.NewFakeRecorder(10)
			w := &Watcher{Client: c, Store: store, Namespace: "wake-system", Recorder: rec}
			_, err := w.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "wake-system", Name: Name}})
			if tt.err == "" && err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.err)
			}

			want := Default()
			tt.want(want)
			if diff := cmp.Diff(want, store.Load()); diff != "" {
				t.Errorf("stored config (-want +got):\n%s", diff)
			}

			var gotEvents []string
			for len(rec.Events) > 0 {
				gotEvents = append(gotEvents, <-rec.Events)
			}
			if len(gotEvents) != len(tt.events) {
				t.Fatalf("events = %q, want %d matching %q", gotEvents, len(tt.events), tt.events)
			}
			for i := range tt.events {
				if !strings.HasPrefix(gotEvents[i], tt.events[i]) {
					t.Errorf("event %d = %q, want it to start with %q", i, gotEvents[i], tt.events[i])
				}
			}
		})
	}
}
