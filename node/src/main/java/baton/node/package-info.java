/**
 * A node's CPU side: pools of worker actors on the dedicated CPU dispatcher that run cpu ops on batches of items.
 */
package baton.node;
