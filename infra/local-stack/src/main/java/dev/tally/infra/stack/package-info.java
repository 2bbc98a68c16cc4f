/** The local stack: real Kafka, Artemis and PostgreSQL on 127.0.0.1, and a supervisor for the four services. */
package dev.tally.infra.stack;
