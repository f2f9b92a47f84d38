/** The {@code baton} command line: picocli commands that each return their exit code. */
package baton.app.cli;
