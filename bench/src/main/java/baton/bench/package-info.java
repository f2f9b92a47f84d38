/**
 * {@code bin/baton bench}: runs the same workloads on Baton (embedded, and with two node processes), on a
 * lock-based thread pool, on one plain thread and on virtual threads, and reports items per second against each
 * other and against the physical limit. The lock-based contenders live here and nowhere else in Baton.
 */
package baton.bench;
