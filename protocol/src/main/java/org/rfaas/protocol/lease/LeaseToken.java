package org.rfaas.protocol.lease;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Lease tokens: {@code base64url(claims) "." base64url(HMAC-SHA256(secret, claims))}, where the
 * claims are {@code v1|leaseId|tenant|node|cores|memoryMiB|expiresAtEpochMillis}. The cluster
 * secret is shared by the resource manager (which signs) and the executor managers (which verify),
 * so a token cannot be guessed, altered or extended by a client.
 */
public final class LeaseToken {
    private static final String ALGORITHM = "HmacSHA256";
    private static final String VERSION = "v1";

    private final SecretKeySpec key;

    /**
     * @param secret the cluster secret; at least 16 bytes
     */
    public LeaseToken(byte[] secret) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the cluster secret must have at least 16 bytes");
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    }

    /** Convenience for a secret given as text in a config file. */
    public static LeaseToken ofSecret(String secret) {
        return new LeaseToken(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Signs {@code claims}. */
    public String sign(LeaseClaims claims) {
        byte[] body = encode(claims).getBytes(StandardCharsets.UTF_8);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(body) + "." + b64.encodeToString(mac(body));
    }

    /**
     * Verifies {@code token} and returns its claims.
     *
     * @param nowEpochMillis the current time; an expired token is refused
     * @throws InvalidLeaseTokenException when the token is malformed, forged, altered or expired;
     *     the message says which
     */
    public LeaseClaims verify(String token, long nowEpochMillis) {
        if (token == null || token.isEmpty()) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.MALFORMED, "no lease token given");
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot != token.lastIndexOf('.')) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.MALFORMED, "lease token is not of the form body.signature");
        }
        byte[] body;
        byte[] signature;
        try {
            body = Base64.getUrlDecoder().decode(token.substring(0, dot));
            signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.MALFORMED, "lease token is not base64url");
        }
        if (!MessageDigest.isEqual(mac(body), signature)) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.BAD_SIGNATURE,
                    "lease token signature does not match (forged, altered, or signed with another cluster secret)");
        }
        LeaseClaims claims = decode(new String(body, StandardCharsets.UTF_8));
        if (claims.expiresAtEpochMillis() <= nowEpochMillis) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.EXPIRED,
                    "lease " + claims.leaseId() + " expired " + (nowEpochMillis - claims.expiresAtEpochMillis()) + " ms ago");
        }
        return claims;
    }

    private byte[] mac(byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JDK", e);
        }
    }

    private static String encode(LeaseClaims c) {
        return String.join("|", VERSION, Long.toString(c.leaseId()), c.tenant(), c.node(),
                Integer.toString(c.cores()), Long.toString(c.memoryMiB()), Long.toString(c.expiresAtEpochMillis()));
    }

    private static LeaseClaims decode(String body) {
        String[] f = body.split("\\|", -1);
        if (f.length != 7 || !VERSION.equals(f[0])) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.MALFORMED, "lease token claims have an unknown layout");
        }
        try {
            return new LeaseClaims(Long.parseLong(f[1]), f[2], f[3], Integer.parseInt(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]));
        } catch (IllegalArgumentException e) {
            throw new InvalidLeaseTokenException(InvalidLeaseTokenException.Reason.MALFORMED, "lease token claims are invalid: " + e.getMessage());
        }
    }
}
