// Package kube runs the dispatcher's KafkaTrigger controllers: on every
// replica, one keeps a consumer running per trigger with the trigger's
// settings, Secrets and Function (consumer.go); on the leader, one writes
// each trigger's status from what the consumers observe (status.go).
// Setup (setup.go) wires both into a manager.
package kube
