/** Consumers of the derived topics that keep the serving tables current. */
package dev.tally.view.messaging;
