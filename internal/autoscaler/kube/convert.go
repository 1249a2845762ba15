package kube

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func orInt32(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

func orFloat(v *int32, def float64) float64 {
	if v == nil {
		return def
	}
	return float64(*v)
}

func orDuration(v *metav1.Duration, def time.Duration) time.Duration {
	if v == nil {
		return def
	}
	return v.Duration
}
