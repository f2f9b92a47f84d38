/**
 * User ops for the parser tests (copies of the protocol tests' ones), which only {@code TestParsers.opLoader()}
 * lists, so that the other tests see the built-in ops alone.
 */
package baton.coordinator.spec.testops;
