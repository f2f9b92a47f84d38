/** Cpu ops for the node tests, found through the test classpath's {@code META-INF/services}. */
package baton.node.testops;
