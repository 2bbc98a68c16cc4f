package dev.tally.aggregator.batch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DailySummaryJobTest {

    private static String click(String id, String user, String page, String time) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"page_id\":\"" + page
                + "\",\"type\":\"view\",\"event_time\":\"" + time + "\"}";
    }

    @Test
    void summarizesByPageAndUtcDayCountingEachEventIdOnce(@TempDir Path dir) throws Exception {
        Path input = Files.createDirectories(dir.resolve("clicks"));
        Files.writeString(input.resolve("2026-11-23-001.jsonl"), String.join("\n",
                click("e1", "alice", "home", "2026-11-23T10:00:00Z"),
                click("e2", "bob", "home", "2026-11-23T23:59:59Z"),
                "{not json",
                click("e3", "alice", "home", "2026-11-24T00:00:00Z"),
                "",
                "{\"event_id\":\"e9\"}") + "\n");
        Files.writeString(input.resolve("2026-11-23-000.jsonl"), String.join("\n",
                click("e1", "alice", "home", "2026-11-23T10:00:00Z"), // the same event id again: counts once
                click("e4", "carol", "about", "2026-11-23T08:00:00+02:00")) + "\n");
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        DailySummaryJob job = new DailySummaryJob(new PrintStream(messages, true, StandardCharsets.UTF_8));

        DailySummaryJob.Report report = job.run(input, dir.resolve("out/summary.json"));

        assertEquals(2, report.files());
        assertEquals(4, report.events());
        assertEquals(1, report.duplicates());
        assertEquals(2, report.unreadable());
        assertEquals("""
                [
                  {"page_id":"about","date":"2026-11-23","total_views":1,"unique_users":1},
                  {"page_id":"home","date":"2026-11-23","total_views":2,"unique_users":2},
                  {"page_id":"home","date":"2026-11-24","total_views":1,"unique_users":1}
                ]
                """, Files.readString(dir.resolve("out/summary.json")));
        String said = messages.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("2026-11-23-001.jsonl:3: "), said);
        assertTrue(said.contains("2026-11-23-001.jsonl:6: event_id, user_id, page_id and event_time are required"),
                said);
    }

    @Test
    void theSameInputGivesByteIdenticalOutput(@TempDir Path dir) throws Exception {
        Path input = Files.createDirectories(dir.resolve("clicks"));
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            lines.append(click("e" + i, "user-" + (i % 97), "page-" + (i % 13),
                    "2026-11-" + (10 + i % 5) + "T" + String.format("%02d", i % 24) + ":00:00Z")).append('\n');
        }
        Files.writeString(input.resolve("a.jsonl"), lines);
        DailySummaryJob job = new DailySummaryJob(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
        job.run(input, dir.resolve("first.json"));
        job.run(input, dir.resolve("second.json"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("first.json")), Files.readAllBytes(dir.resolve("second.json")));
    }
}
