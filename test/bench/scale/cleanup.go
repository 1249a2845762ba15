//go:build e2e

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
)

// cleanup deletes the namespaces labelled key=value (every value when
// value is "") and waits, up to timeout, until they are gone. It has its
// own context: it also runs after the run's context ended.
func cleanup(c client.Client, key, value string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sel := client.HasLabels{key}
	var opt client.ListOption = sel
	if value != "" {
		opt = client.MatchingLabels{key: value}
	}
	list := &corev1.NamespaceList{}
	if err := c.List(ctx, list, opt); err != nil {
		return fmt.Errorf("list bench namespaces: %w", err)
	}
	if len(list.Items) == 0 {
		return nil
	}
	start := time.Now()
	fmt.Fprintf(os.Stderr, "deleting %d bench namespaces (waiting up to %v)\n", len(list.Items), timeout)
	for i := range list.Items {
		if err := c.Delete(ctx, &list.Items[i]); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", list.Items[i].Name, err)
		}
	}
	if _, err := poll.Until(ctx, 2*time.Second, func(ctx context.Context) error {
		left := &corev1.NamespaceList{}
		if err := c.List(ctx, left, opt); err != nil {
			return err
		}
		if len(left.Items) > 0 {
			return fmt.Errorf("%d namespaces left", len(left.Items))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("bench namespaces gone: %w", err)
	}
	fmt.Fprintf(os.Stderr, "deleted the bench namespaces in %.0f s\n", time.Since(start).Seconds())
	return nil
}
