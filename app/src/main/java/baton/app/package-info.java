/**
 * Baton's processes: one guardian per role, {@code CoordinatorService} for {@code baton coordinator} (coordinator,
 * HTTP API, optional local workers) and {@code Embedded} for {@code baton run} and the benchmark (coordinator and
 * workers in one JVM). The command line that starts them is in {@code baton.app.cli}; the behaviours they start live
 * in the {@code coordinator} and {@code node} modules.
 */
package baton.app;
