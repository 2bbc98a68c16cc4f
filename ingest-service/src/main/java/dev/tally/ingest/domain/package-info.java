/** Event validation and clock-skew correction: pure logic, no framework. */
package dev.tally.ingest.domain;
