package dev.tally.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real headless Chromium, driven through chromedriver's W3C WebDriver protocol over HTTP: enough to open a
 * page, type, click and read what a person would see. Written against the protocol rather than a client library
 * so that no browser-automation dependency meets Quarkus's on a test's classpath.
 * The browser and driver are Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs
 * them); {@code CHROMIUM} and {@code CHROMEDRIVER} point elsewhere.
 */
public final class HeadlessBrowser implements AutoCloseable {
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

    private final Process driver;
    private final Path profile;
    private final URI base;
    private final String session;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public HeadlessBrowser() {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        String chromedriver = System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver");
        if (!Files.isExecutable(Path.of(chromium)) || !Files.isExecutable(Path.of(chromedriver))) {
            throw new IllegalStateException("a headless browser is needed: " + chromium + " and " + chromedriver
                    + " (apt-get install chromium chromium-driver, as .ci/run does)");
        }
        try {
            int port = FreePorts.freePort();
            profile = Files.createTempDirectory("tally-chromium");
            driver = new ProcessBuilder(chromedriver, "--port=" + port, "--allowed-ips=127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            base = URI.create("http://127.0.0.1:" + port);
            awaitDriver();
            ObjectNode options = KafkaTestClient.JSON.createObjectNode();
            options.put("binary", chromium);
            options.putPOJO("args", List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--user-data-dir=" + profile));
            ObjectNode body = KafkaTestClient.JSON.createObjectNode();
            body.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome")
                    .set("goog:chromeOptions", options);
            JsonNode created = call("POST", "/session", body);
            if (!created.hasNonNull("sessionId")) {
                throw new IllegalStateException("chromedriver did not open a session: " + created);
            }
            session = created.get("sessionId").asText();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the headless browser", e);
        }
    }

    public void open(String url) {
        call("POST", "/session/" + session + "/url", object("url", url));
    }

    /** The element a CSS selector finds, waiting up to 10 s for it to appear. */
    public String find(String css) {
        Instant deadline = Instant.now().plusSeconds(10);
        while (true) {
            try {
                ObjectNode query = object("using", "css selector");
                query.put("value", css);
                return call("POST", "/session/" + session + "/element", query).get(ELEMENT).asText();
            } catch (IllegalStateException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("no element " + css + " on the page", notYet);
                }
                sleep(100);
            }
        }
    }

    /** Replaces the text of an input, as a person would type it. */
    public void type(String css, String text) {
        String element = find(css);
        call("POST", "/session/" + session + "/element/" + element + "/clear", KafkaTestClient.JSON.createObjectNode());
        call("POST", "/session/" + session + "/element/" + element + "/value", object("text", text));
    }

    public void click(String css) {
        call("POST", "/session/" + session + "/element/" + find(css) + "/click",
                KafkaTestClient.JSON.createObjectNode());
    }

    /** The visible text of an element. */
    public String text(String css) {
        return call("GET", "/session/" + session + "/element/" + find(css) + "/text", null).asText();
    }

    /** Runs a script in the page and returns its result as JSON. */
    public JsonNode script(String script) {
        ObjectNode body = object("script", script);
        body.putArray("args");
        return call("POST", "/session/" + session + "/execute/sync", body);
    }

    /** Waits up to {@code timeout} until the text of {@code css} satisfies {@code condition}; returns that text. */
    public String awaitText(String css, Predicate<String> condition, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            try {
                last = text(css);
                if (condition.test(last)) {
                    return last;
                }
            } catch (IllegalStateException | AssertionError stale) {
                // the page is still changing
            }
            sleep(100);
        }
        throw new AssertionError("the text of " + css + " never became what was expected; last seen: '" + last
                + "'");
    }

    @Override
    public void close() {
        try {
            call("DELETE", "/session/" + session, null);
        } catch (RuntimeException e) {
            // the driver is stopped below either way
        }
        driver.destroy();
        try {
            if (!driver.waitFor(10, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
            LocalStackProcess.deleteRecursively(profile);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a temporary profile left behind is harmless
        }
    }

    private void awaitDriver() {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpResponse<String> status = http.send(HttpRequest.newBuilder(base.resolve("/status")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (status.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(100);
        }
        throw new IllegalStateException("chromedriver did not start within 20 s");
    }

    private JsonNode call(String method, String path, JsonNode body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json");
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(KafkaTestClient.JSON.writeValueAsString(body)));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode value = KafkaTestClient.JSON.readTree(response.body()).get("value");
            if (response.statusCode() != 200) {
                throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " " + value);
            }
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode object(String name, String value) {
        ObjectNode node = KafkaTestClient.JSON.createObjectNode();
        node.put(name, value);
        return node;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
