/**
 * The coordinator's meters (Micrometer, scraped in the Prometheus text format by {@code GET /metrics}): one set per
 * actor system, {@link baton.coordinator.metrics.Metrics#get}.
 */
package baton.coordinator.metrics;
