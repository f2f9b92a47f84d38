/**
 * The job spec parser: reads a spec file (HOCON, no includes, bounded nesting), fills in the defaults of
 * {@code baton.job}, expands input globs inside the io roots and checks each stage's op and parameters against the
 * op registry, so that a bad spec is refused with one message before a job starts.
 */
package baton.coordinator.spec;
