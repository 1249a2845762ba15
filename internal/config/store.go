package config

import (
	"sync"
	"sync/atomic"
)

// Store holds the current configuration. It is safe for concurrent use; Load
// is a single atomic read, fit for hot paths.
type Store struct {
	current atomic.Pointer[Config]

	mu          sync.Mutex
	subscribers []func(*Config)
}

// NewStore returns a Store holding the defaults.
func NewStore() *Store {
	s := &Store{}
	s.current.Store(Default())
	return s
}

// Load returns the current configuration. Callers must not modify it.
func (s *Store) Load() *Config { return s.current.Load() }

// Update parses data on top of the current configuration, stores the result
// and tells the subscribers. Malformed keys keep their last good values and
// are reported in the error. A nil data (the ConfigMap was deleted) restores
// the defaults.
func (s *Store) Update(data map[string]string) error {
	last := s.current.Load()
	if data == nil {
		last = nil
	}
	c, err := Parse(data, last)
	s.current.Store(c)
	s.mu.Lock()
	subs := append([]func(*Config){}, s.subscribers...)
	s.mu.Unlock()
	for _, f := range subs {
		f(c)
	}
	return err
}

// Subscribe calls f with every configuration stored from now on.
func (s *Store) Subscribe(f func(*Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribers = append(s.subscribers, f)
}
