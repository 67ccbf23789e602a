package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

/**
 * The spare's rehearsal of the lease path stays valid: a spare only logs its failure at debug
 * level, so a protocol change that made its dummy assignment invalid would silently hand the
 * decoding's first-run cost back to every cold start.
 */
class SpareRehearsalTest {
    @Test
    void theDummyAssignmentAndHelloRoundTrip() {
        assertDoesNotThrow(SpareRehearsal::run);
    }
}
