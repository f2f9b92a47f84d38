/** Logback pieces that make the job logs: one file per job, chosen by the job id in the MDC. */
package baton.app.logging;
