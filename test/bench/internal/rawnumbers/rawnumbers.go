// Package rawnumbers writes a benchmark's raw numbers, the same way for every
// benchmark under test/bench.
package rawnumbers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes v, indented, to path (creating its folder) and says
// where on stdout.
func Write(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Printf("\nraw numbers: %s\n", path)
	return nil
}
