package handler_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/statwire"
)

// TestMeter: a request that reached the function is metered with its time
// there, rounded up to 100 ms units, under its client; one the activator
// refused (a wrong credential, a revision with no pod until its timeout)
// is counted apart and never billed.
func TestMeter(t *testing.T) {
	m := meter.New(meter.Options{Mode: metering.ModeRequest, Window: time.Hour})
	e := newEnvWith(t, envOptions{meter: m})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	}))
	defer be.Close()
	rev := routing.TrafficInput{Revision: e.revision("api-00001", 0, 0, 0, hostOf(be)), Percent: 100}
	idle := routing.TrafficInput{Revision: e.revision("idle-00001", 0, 0, 1), Percent: 100} // no pod: 504 after 1 s
	keys := &apikey.Config{Clients: map[string]apikey.Hash{"alice": apikey.HashOf([]byte("a-secret"))}, Headers: []string{"X-Api-Key"}}
	e.addRoute(routing.RouteInput{Namespace: "ns", Name: "api", Hosts: []string{"api.test"}, Rules: []routing.RuleInput{
		{Match: routing.MatchInput{Path: "/keyed"}, Traffic: []routing.TrafficInput{rev}, APIKeys: keys},
		{Match: routing.MatchInput{Path: "/idle"}, Traffic: []routing.TrafficInput{idle}},
		{Match: routing.MatchInput{Path: "/"}, Traffic: []routing.TrafficInput{rev}},
	}})
	for _, ms := range []int{0, 150, 250} {
		if code, _, _ := e.send(http.MethodGet, "api.test", "/?ms="+strconv.Itoa(ms)); code != http.StatusOK {
			t.Fatalf("ms=%d: %d", ms, code)
		}
	}
	if code, _, _ := e.send(http.MethodGet, "api.test", "/keyed?ms=120", "X-Api-Key", "a-secret"); code != http.StatusOK {
		t.Fatalf("keyed: %d", code)
	}
	if code, _, _ := e.send(http.MethodGet, "api.test", "/keyed", "X-Api-Key", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", code)
	}
	if code, _, _ := e.send(http.MethodGet, "api.test", "/idle"); code != http.StatusGatewayTimeout {
		t.Fatalf("idle: %d", code)
	}

	got := map[string]statwire.MeterEntry{}
	for _, f := range m.Final() {
		for _, en := range f.Entries {
			got[en.Revision+"/"+en.Client] = en
		}
	}
	if len(got) != 3 {
		t.Fatalf("entries %+v, want api's, alice's on api, and idle's", got)
	}
	api := got["api-00001/"]
	// 0 ms is at least 1 unit; 150 ms is 2; 250 ms is 3. Each a little more
	// than the backend's sleep, never a unit more.
	if api.Requests != 3 || api.Units != 1+2+3 || api.Refused != 1 || api.Micros < 400000 || api.Micros > 400000+3*100000 {
		t.Errorf("api = %+v, want 3 requests of 6 units, over 400 ms, 1 refused", api)
	}
	if alice := got["api-00001/alice"]; alice.Requests != 1 || alice.Units != 2 || alice.Refused != 0 {
		t.Errorf("alice = %+v, want 1 request of 2 units", alice)
	}
	if idle := got["idle-00001/"]; idle.Requests != 0 || idle.Units != 0 || idle.Refused != 1 {
		t.Errorf("idle = %+v, want 1 refused, nothing billed", idle)
	}
}

// TestMeterInstanceMode: in instance mode two requests served at once by
// one pod make one busy interval of that pod, as long as they took; the
// revision's entry counts the requests and bills nothing itself.
func TestMeterInstanceMode(t *testing.T) {
	m := meter.New(meter.Options{Mode: metering.ModeInstance, Window: time.Hour})
	e := newEnvWith(t, envOptions{meter: m})
	// Each request waits for the other, so that they overlap.
	var arrived sync.WaitGroup
	arrived.Add(2)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived.Done()
		arrived.Wait()
		time.Sleep(150 * time.Millisecond)
	}))
	defer be.Close()
	e.revision("pod-00001", 0, 0, 0, hostOf(be))
	done := make(chan int, 2)
	for range 2 {
		go func() {
			code, _, _ := e.send(http.MethodGet, "pod-00001.test", "/")
			done <- code
		}()
	}
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	var rev, pod statwire.MeterEntry
	for _, f := range m.Final() {
		for _, en := range f.Entries {
			if en.Pod != "" {
				pod = en
			} else {
				rev = en
			}
		}
	}
	if rev.Requests != 2 || rev.Units != 0 {
		t.Errorf("revision entry %+v, want 2 requests and no units of its own", rev)
	}
	if pod.Pod != hostOf(be) || len(pod.Busy) != 2 {
		t.Fatalf("pod entry %+v, want one busy interval of %s", pod, hostOf(be))
	}
	if d := time.Duration(pod.Busy[1]-pod.Busy[0]) * time.Microsecond; d < 150*time.Millisecond {
		t.Errorf("the pod was busy %v, want at least the 150 ms both requests took together", d)
	}
}
