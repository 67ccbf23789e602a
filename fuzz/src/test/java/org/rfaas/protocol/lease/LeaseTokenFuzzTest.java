package org.rfaas.protocol.lease;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.rfaas.fuzz.FuzzStats;
import java.util.Map;

/**
 * The lease token a client hands an executor manager: the raw string (as any peer can send it),
 * and claims signed with the cluster secret (as only the resource manager can), so that the
 * claims' parser behind the signature check is reached too. Either is accepted or refused with
 * {@link InvalidLeaseTokenException}.
 */
class LeaseTokenFuzzTest {
    private static final byte[] SECRET = "fuzzing-cluster-secret-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final FuzzStats STATS = FuzzStats.of("LeaseTokenFuzzTest");
    private final LeaseToken tokens = new LeaseToken(SECRET);
    private final Mac mac = hmac();

    @FuzzTest
    @DictionaryEntries({"v1|", "|", "."})
    void verify(byte[] data) {
        if (data.length < 1) {
            return;
        }
        boolean signed = (data[0] & 1) == 1;
        String text = new String(data, 1, data.length - 1, StandardCharsets.UTF_8);
        String token = signed ? sign(text.getBytes(StandardCharsets.UTF_8)) : text;
        boolean accepted = true;
        try {
            tokens.verify(token, 0);
        } catch (InvalidLeaseTokenException refused) {
            accepted = false;
        }
        STATS.count(signed ? "LeaseToken claims (signed)" : "LeaseToken (raw string)", accepted);
    }

    private String sign(byte[] body) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(body) + "." + b64.encodeToString(mac.doFinal(body));
    }

    private static Mac hmac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(SECRET, "HmacSHA256"));
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A well-formed claims body to sign, and a real token as a raw string: where fuzzing starts. */
    static Map<String, byte[]> seeds() {
        LeaseClaims claims = new LeaseClaims(5, "tenant", "node-1", 2, 256, 4_102_444_800_000L);
        byte[] body = ("v1|5|tenant|node-1|2|256|4102444800000").getBytes(StandardCharsets.UTF_8);
        byte[] token = new LeaseToken(SECRET).sign(claims).getBytes(StandardCharsets.UTF_8);
        return Map.of("signed-claims", prefixed(1, body), "raw-token", prefixed(0, token));
    }

    private static byte[] prefixed(int first, byte[] rest) {
        byte[] seed = new byte[1 + rest.length];
        seed[0] = (byte) first;
        System.arraycopy(rest, 0, seed, 1, rest.length);
        return seed;
    }
}
