// Package names derives the names of the objects Wake creates, so that every
// component agrees on them.
package names

import (
	"fmt"
	"strconv"
	"strings"
)

// Revision returns the name of a Function's n-th revision: {function}-{n:05}.
func Revision(function string, n int64) string {
	return fmt.Sprintf("%s-%05d", function, n)
}

// RevisionNumber returns n for a name made by Revision(function, n), or 0 when
// the name is not one of the function's revision names.
func RevisionNumber(function, revision string) int64 {
	suffix, ok := strings.CutPrefix(revision, function+"-")
	if !ok || len(suffix) < 5 {
		return 0
	}
	n, err := strconv.ParseInt(suffix, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// FunctionOf returns the Function of a revision named by Revision, or ""
// for another name.
func FunctionOf(revision string) string {
	i := strings.LastIndexByte(revision, '-')
	if i <= 0 || RevisionNumber(revision[:i], revision) == 0 {
		return ""
	}
	return revision[:i]
}

// Deployment returns the name of a revision's Deployment.
func Deployment(revision string) string { return revision }

// Service returns the name of a revision's headless Service.
func Service(revision string) string { return revision }
