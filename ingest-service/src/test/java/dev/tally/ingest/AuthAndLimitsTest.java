package dev.tally.ingest;

import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.util.StringJoiner;

import static dev.tally.ingest.IngestTesting.event;
import static dev.tally.ingest.IngestTesting.newId;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** Write keys (401) and size limits (413), each answered with problem+json. */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@Order(3)
class AuthAndLimitsTest {

    @BeforeEach
    void noDefaultKey() {
        RestAssured.requestSpecification = null;
    }

    @Test
    void aMissingOrUnknownKeyIs401() {
        given().contentType(ContentType.JSON).body(event(newId(), "u", "/p"))
                .when().post("/events")
                .then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("type", equalTo("https://tally.dev/problems/unauthorized"))
                .body("detail", equalTo("send a write key as Authorization: Bearer <key>"));
        given().contentType(ContentType.JSON).header("Authorization", "Bearer not-a-key")
                .body(event(newId(), "u", "/p"))
                .when().post("/events/batch")
                .then().statusCode(401).body("detail", equalTo("the write key is not known"));
        given().contentType(ContentType.JSON).header("Authorization", "Basic dGVzdC1rZXk=")
                .body(event(newId(), "u", "/p"))
                .when().post("/events")
                .then().statusCode(401);
        // every configured key works
        given().contentType(ContentType.JSON).header("Authorization", "Bearer second-test-key")
                .body(event(newId(), "u", "/p"))
                .when().post("/events")
                .then().statusCode(202);
    }

    @Test
    void anEventOver32KibIsRejectedInItsBatch() {
        String big = event(newId(), "u", "/p").replace("}", ",\"attrs\":{\"pad\":\"" + "x".repeat(33_000) + "\"}}");
        given().contentType(ContentType.JSON).header("Authorization", "Bearer test-key")
                .body("[" + event(newId(), "u", "/p") + "," + big + "]")
                .when().post("/events/batch")
                .then().statusCode(200)
                .body("results[0].status", equalTo("accepted"))
                .body("results[1].status", equalTo("rejected"))
                .body("results[1].error.reason", startsWith("the event is 33"));
    }

    @Test
    void aRequestOver1MibIs413() {
        StringJoiner body = new StringJoiner(",", "[", "]");
        while (body.length() < 1_100_000) {
            body.add(event(newId(), "u", "/p"));
        }
        given().contentType(ContentType.JSON).header("Authorization", "Bearer test-key").body(body.toString())
                .when().post("/events/batch")
                .then().statusCode(413).contentType("application/problem+json")
                .body("type", equalTo("https://tally.dev/problems/request-too-large"))
                .body("detail", startsWith("the body is 11"));
    }

    @Test
    void otherPathsAndMethodsAreProblemsToo() {
        given().header("Authorization", "Bearer test-key").when().get("/events")
                .then().statusCode(405).contentType("application/problem+json");
        given().header("Authorization", "Bearer test-key").contentType(ContentType.JSON).body("{}")
                .when().post("/events/nothing-here")
                .then().statusCode(404).contentType("application/problem+json");
    }
}
