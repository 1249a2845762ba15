package keeper

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// childEnv, when set, makes the test binary an activator-like child: it
// takes the listeners from the keeper at that socket and serves "ok".
const childEnv = "WAKE_KEEPER_TEST_CHILD"

func TestMain(m *testing.M) {
	if socket := os.Getenv(childEnv); socket != "" {
		os.Exit(runChild(socket))
	}
	os.Exit(m.Run())
}

// runChild serves "ok" on the keeper's listener until killed.
func runChild(socket string) int {
	l, err := Take(context.Background(), socket, 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }), ReadHeaderTimeout: 5 * time.Second}
	fmt.Println("serving")
	_ = s.Serve(l.Listeners()[0])
	return 0
}
