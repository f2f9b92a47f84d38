/**
 * The coordinator: the actor that accepts jobs, one actor per running job, and the Pekko Streams graph that moves a
 * job's items through its io stages (asynchronously, in the stream) and cpu stages (in batches, to worker pools).
 */
package baton.coordinator;
