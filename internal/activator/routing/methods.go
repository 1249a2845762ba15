package routing

import (
	"net/http"
	"sort"
	"strings"
)

// standardMethods are the methods kept in a bitmask; others are kept by name.
var standardMethods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
	http.MethodConnect, http.MethodTrace,
}

// methodSet is a set of methods; the zero value allows all methods.
type methodSet struct {
	mask  uint16
	other []string // non-standard methods, sorted
}

func methodBit(m string) uint16 {
	for i, s := range standardMethods {
		if s == m {
			return 1 << i
		}
	}
	return 0
}

// newMethodSet builds the set of a rule; GET implies HEAD.
func newMethodSet(methods []string) methodSet {
	var s methodSet
	for _, m := range methods {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" {
			continue
		}
		if b := methodBit(m); b != 0 {
			s.mask |= b
			if m == http.MethodGet {
				s.mask |= methodBit(http.MethodHead)
			}
			continue
		}
		if !contains(s.other, m) {
			s.other = append(s.other, m)
		}
	}
	sort.Strings(s.other)
	return s
}

func (s methodSet) all() bool { return s.mask == 0 && len(s.other) == 0 }

func (s methodSet) allows(m string) bool {
	if s.all() {
		return true
	}
	if b := methodBit(m); b != 0 {
		return s.mask&b != 0
	}
	return contains(s.other, m)
}

func (s methodSet) union(o methodSet) methodSet {
	u := methodSet{mask: s.mask | o.mask}
	u.other = append(u.other, s.other...)
	for _, m := range o.other {
		if !contains(u.other, m) {
			u.other = append(u.other, m)
		}
	}
	sort.Strings(u.other)
	return u
}

// String lists the methods, sorted, comma separated.
func (s methodSet) String() string {
	var names []string
	for i, m := range standardMethods {
		if s.mask&(1<<i) != 0 {
			names = append(names, m)
		}
	}
	names = append(names, s.other...)
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
