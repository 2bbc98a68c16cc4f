/** Rule evaluation and fingerprints: pure logic, no framework. */
package dev.tally.alerting.domain;
