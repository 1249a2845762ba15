// Package dashboards checks the Grafana dashboard in config/grafana
// against Wake's metrics, without a cluster: every metric a panel or a
// template variable queries is one Wake's binaries register, with the
// labels the query selects, groups by and shows, used as its type allows.
package dashboards
