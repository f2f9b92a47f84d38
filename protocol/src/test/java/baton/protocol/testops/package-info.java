/** User ops for the protocol tests, found through the test classpath's {@code META-INF/services}. */
package baton.protocol.testops;
