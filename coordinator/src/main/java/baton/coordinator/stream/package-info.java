/**
 * The Pekko Streams graph of one job, by concern: {@link baton.coordinator.stream.JobStream} assembles the input
 * ({@code InputSource}), one flow per stage ({@code IoStage} for waiting ops, {@code CpuStage} for batches to the
 * workers, both retrying through {@code StageRetry}, each try of a rate-limited stage passing its {@code RateGate})
 * and the checkpointing output ({@code OutputWriter}); items travel as {@link baton.coordinator.stream.Outcome}s,
 * and {@link baton.coordinator.stream.Progress} is what a resumed job starts from.
 */
package baton.coordinator.stream;
