/** Tests of the whole system: real brokers, the four packaged services as processes, driven over HTTP. */
package dev.tally.system;
