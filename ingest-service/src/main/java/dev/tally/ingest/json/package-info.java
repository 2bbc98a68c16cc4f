/** The JSON mapper's set-up: timestamps through Tally's own ISO-8601 reader and writer. */
package dev.tally.ingest.json;
