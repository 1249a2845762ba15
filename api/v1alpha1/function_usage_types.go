package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// FunctionUsage is what a Function's revisions used, per UTC day, as
// metered for billing: the sums of its usage records over every revision
// and client. Its days are as many as a Route's status.usage keeps
// (MaxUsageDays).
type FunctionUsage struct {
	// Days are the last MaxUsageDays UTC days with use, the latest first.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=7
	Days []FunctionUsageDay `json:"days"`
	// CountedThrough is the end of the last metering window counted:
	// the records of windows that start before it are in Days already.
	CountedThrough metav1.Time `json:"countedThrough"`
}

// FunctionUsageDay is what a Function used in one UTC day: the sums of
// its usage records whose window starts that day.
type FunctionUsageDay struct {
	// Date is the day, YYYY-MM-DD (UTC).
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	Date string `json:"date"`
	// Requests counts the requests that reached the function.
	Requests int64 `json:"requests"`
	// Units are the billed 100 ms units: the measured ones, and the
	// cold-start ones when cold starts are billed.
	Units int64 `json:"units"`
	// GBSeconds are Units weighted by each revision's container memory, in
	// gigabyte-seconds: a decimal with 3 places, such as "12.800".
	// +kubebuilder:validation:Pattern=`^[0-9]+\.[0-9]{3}$`
	GBSeconds string `json:"gbSeconds"`
	// VCPUSeconds are Units weighted by each revision's container CPU, in
	// vCPU-seconds: a decimal with 3 places, such as "1.600".
	// +kubebuilder:validation:Pattern=`^[0-9]+\.[0-9]{3}$`
	VCPUSeconds string `json:"vcpuSeconds"`
	// ColdStarts counts the requests that waited for a pod to start.
	// +optional
	ColdStarts int64 `json:"coldStarts,omitempty"`
	// Refused counts the requests Wake refused before they reached the
	// function (credentials, limits, a full queue, a timeout while held):
	// never billed.
	// +optional
	Refused int64 `json:"refused,omitempty"`
}
