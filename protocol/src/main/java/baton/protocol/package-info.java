/**
 * What Baton's parts agree on: the job spec and its parser, the op SPI that built-in and user ops implement, and
 * the messages and statuses that cross between the coordinator, the nodes and the command line.
 */
package baton.protocol;
