package org.rfaas.protocol.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class LeaseTokenTest {
    private final LeaseToken tokens = LeaseToken.ofSecret("0123456789abcdef-cluster-secret");
    private final LeaseClaims claims = new LeaseClaims(42, "alice", "node0", 2, 1024, 10_000);

    @Test
    void roundTrip() {
        assertEquals(claims, tokens.verify(tokens.sign(claims), 5_000));
    }

    @Test
    void expiredIsRefused() {
        var e = assertThrows(InvalidLeaseTokenException.class, () -> tokens.verify(tokens.sign(claims), 10_000));
        assertEquals(InvalidLeaseTokenException.Reason.EXPIRED, e.reason());
    }

    @Test
    void alteredClaimsAreRefused() {
        String token = tokens.sign(claims);
        String forgedBody = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("v1|42|alice|node0|64|1024|10000".getBytes());
        var e = assertThrows(InvalidLeaseTokenException.class,
                () -> tokens.verify(forgedBody + token.substring(token.indexOf('.')), 5_000));
        assertEquals(InvalidLeaseTokenException.Reason.BAD_SIGNATURE, e.reason());
    }

    @Test
    void otherSecretIsRefused() {
        String token = LeaseToken.ofSecret("another-secret-of-16-bytes").sign(claims);
        assertEquals(InvalidLeaseTokenException.Reason.BAD_SIGNATURE,
                assertThrows(InvalidLeaseTokenException.class, () -> tokens.verify(token, 5_000)).reason());
    }

    @Test
    void garbageIsMalformed() {
        for (String bad : new String[] {"", "abc", "a.b.c", "!!!.???"}) {
            assertEquals(InvalidLeaseTokenException.Reason.MALFORMED,
                    assertThrows(InvalidLeaseTokenException.class, () -> tokens.verify(bad, 0)).reason(), bad);
        }
    }
}
