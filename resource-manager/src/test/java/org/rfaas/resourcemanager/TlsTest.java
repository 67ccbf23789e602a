package org.rfaas.resourcemanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resource manager serves HTTPS only when its config names a key store: a client that trusts
 * the certificate gets its answers, a plain-HTTP request gets none.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTest {
    private static final String PASSWORD = "tls-test-keystore-pw";

    @Test
    void theApiIsServedOverHttpsOnly(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("rm.p12");
        // the JDK's keytool, beside the java running this test
        Path keytool = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "rm", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", PASSWORD).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);

        ResourceManagerConfig d = ResourceManagerConfig.defaults("tls-test-admin-token-0123", "tls-test-cluster-secret-0123",
                dir.resolve("data"));
        ResourceManagerConfig config = new ResourceManagerConfig(d.host(), 0, d.adminToken(), d.clusterSecret(), d.dataDir(),
                null, null, null, 0, null, 0, 0, 0, 0, false,
                new ResourceManagerConfig.Tls(keystore.toString(), PASSWORD));
        try (ResourceManager rm = ResourceManager.start(config)) {
            URI uri = rm.uri();
            assertEquals("https", uri.getScheme());
            HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(keystore)).connectTimeout(Duration.ofSeconds(5))
                    .build();
            HttpResponse<String> health = trusting.send(HttpRequest.newBuilder(uri.resolve("/v1/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            HttpResponse<String> nodes = trusting.send(HttpRequest.newBuilder(uri.resolve("/v1/nodes"))
                    .header("Authorization", "Bearer " + d.adminToken()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, nodes.statusCode(), nodes.body());

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI http = URI.create("http://127.0.0.1:" + rm.port() + "/v1/health");
            assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(http).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()), "plain HTTP on the HTTPS port");
            // a client that does not trust the certificate is refused in the handshake
            assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(uri.resolve("/v1/health")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
    }

    private static SSLContext trusting(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
