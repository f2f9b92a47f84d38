/** The built-in cpu ops: sha256, gzip, gunzip, word-count and grep. */
package baton.node.ops;
