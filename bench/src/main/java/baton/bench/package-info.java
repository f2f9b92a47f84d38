/**
 * {@code bin/baton bench}: runs the same workloads on Baton (embedded, and with node processes), on a lock-based
 * thread pool, on one plain thread, on virtual threads and on JobRunr, and reports items per second against each
 * other and against the physical limit; then many tiny jobs through Baton's HTTP API and through JobRunr, for jobs/s
 * and latency percentiles. The contenders without Baton and the many-jobs load driver are the only code in Baton
 * with threads, locks and concurrent collections of its own.
 */
package baton.bench;
