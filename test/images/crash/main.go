// Command crash is a test function that never serves: it writes a message to
// stderr and exits with status 1 as soon as it starts, to exercise how Wake
// reports a revision whose container fails.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "crash: exiting with status 1 on purpose (test image)")
	os.Exit(1)
}
