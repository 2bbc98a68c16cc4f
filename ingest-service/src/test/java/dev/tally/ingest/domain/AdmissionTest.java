package dev.tally.ingest.domain;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AdmissionTest {

    @Test
    void boundsTheRecordsInFlight() {
        Admission admission = new Admission(10);
        assertEquals(Admission.Refusal.NONE, admission.tryAcquire(8, 0));
        assertEquals(Admission.Refusal.FULL, admission.tryAcquire(3, 0));
        admission.release(8);
        assertEquals(Admission.Refusal.NONE, admission.tryAcquire(3, 0));
        // a request larger than the bound still goes through alone, or it could never be served
        admission.release(3);
        assertEquals(Admission.Refusal.NONE, admission.tryAcquire(50, 0));
    }

    @Test
    void afterAFailureOneProbeASecondGoesThrough() {
        Admission admission = new Admission(100);
        admission.failed(0);
        assertEquals(Admission.Refusal.LOG_UNAVAILABLE, admission.tryAcquire(1, 500_000_000L));
        assertEquals(Admission.Refusal.NONE, admission.tryAcquire(1, 1_000_000_000L));
        assertEquals(Admission.Refusal.LOG_UNAVAILABLE, admission.tryAcquire(1, 1_100_000_000L));
        admission.succeeded();
        assertEquals(Admission.Refusal.NONE, admission.tryAcquire(1, 1_200_000_000L));
    }
}
