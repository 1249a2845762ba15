// Package resources holds the Route reconciler's pure logic: resolving
// traffic targets to revisions, deciding which Route holds a host, and the
// values the reconciler indexes Routes by. Nothing here takes a client or a
// context; every function is deterministic.
package resources
