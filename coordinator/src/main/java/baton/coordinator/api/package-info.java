/**
 * What the coordinator tells about a job: the {@link baton.coordinator.api.JobStatus} record the HTTP API answers
 * with as JSON and the command line reads back, and its {@link baton.coordinator.api.JobState}.
 */
package baton.coordinator.api;
