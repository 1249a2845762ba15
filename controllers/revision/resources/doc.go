// Package resources builds the objects a Revision runs as: a Deployment whose
// pods run only the user's container, and a headless Service whose
// EndpointSlices tell the activator where those pods are.
//
// Every function here is pure: no client, no context, and the same Revision
// and configuration always give the same object.
package resources
