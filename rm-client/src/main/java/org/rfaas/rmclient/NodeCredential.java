package org.rfaas.rmclient;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The bearer token an executor manager presents on the node endpoints:
 * {@code base64url(HMAC-SHA256(clusterSecret, "rfaas-node-v1|" + nodeName))}. Derived per node, so
 * the cluster secret itself never travels and a token only speaks for the node it names.
 */
public final class NodeCredential {
    private static final String PREFIX = "rfaas-node-v1|";

    private NodeCredential() {
    }

    /** The token of {@code nodeName} under {@code clusterSecret} (at least 16 bytes of UTF-8). */
    public static String derive(String clusterSecret, String nodeName) {
        byte[] secret = clusterSecret.getBytes(StandardCharsets.UTF_8);
        if (secret.length < 16) {
            throw new IllegalArgumentException("the cluster secret must have at least 16 bytes");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] sig = mac.doFinal((PREFIX + nodeName).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JDK", e);
        }
    }

    /** Constant-time check of a presented token. */
    public static boolean matches(String clusterSecret, String nodeName, String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(derive(clusterSecret, nodeName).getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }
}
