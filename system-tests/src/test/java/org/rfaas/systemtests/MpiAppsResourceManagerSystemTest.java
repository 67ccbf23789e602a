package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Black-Scholes with 2 MPI ranks that take their leases from a resource manager (each rank its
 * own lease, HMAC-signed, verified by the executor manager): correct prices, and afterwards no
 * lease of the job is still active.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MpiAppsResourceManagerSystemTest {
    static final String ADMIN = "apps-test-admin-token-0123456789";
    static final String SECRET = "apps-test-cluster-secret-0123456789";

    @Test
    void ranksLeaseFromTheResourceManagerAndReleaseTheirLeases() throws Exception {
        MpiRun.assumeMpirun("MpiAppsResourceManagerSystemTest");
        Path dir = SystemTestSupport.tempDir("mpi-apps-rm");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String cp = System.getProperty("java.class.path");
        Path rmConfig = dir.resolve("rm.json");
        Files.writeString(rmConfig, """
                {"host": "127.0.0.1", "port": 0, "adminToken": "%s", "clusterSecret": "%s", "dataDir": "%s"}
                """.formatted(ADMIN, SECRET, dir.resolve("rm-data")));
        Process rm = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                SystemTestSupport.CHILD_LOGGING, "-cp", cp, "org.rfaas.cli.Main", "resource-manager", "--config",
                rmConfig.toString()).redirectError(dir.resolve("rm.log").toFile()).start();
        ManagerProcess manager = null;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(rm.getInputStream(), StandardCharsets.UTF_8));
            String url = null;
            for (String line; url == null && (line = out.readLine()) != null;) {
                if (line.contains("listening on ")) {
                    url = line.substring(line.indexOf("listening on ") + 13).trim();
                }
            }
            assertTrue(url != null, "resource manager did not start: " + Files.readString(dir.resolve("rm.log")));
            manager = ManagerProcess.start(dir, """
                    {"node": "node0", "listen": ["tcp://127.0.0.1:0"], "cores": 4, "memoryMiB": 4096, "workDir": "%s",
                     "gracePeriodMillis": 2000, "flushIntervalMillis": 50, "spareExecutors": 2, "spareMemoryMiB": 256,
                     "clusterSecret": "%s", "resourceManager": {"url": "%s", "heartbeatMillis": 500}}
                    """.formatted(dir.resolve("work"), SECRET, url), 1);
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!get(http, url + "/v1/nodes").toString().contains("node0")) {
                assertTrue(System.nanoTime() < deadline, "node0 never registered");
                Thread.sleep(200);
            }

            // the operator makes the tenant with the CLI; its key goes to an owner-only file the ranks read
            Path keyFile = dir.resolve("mpi-job.key");
            Process add = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", SystemTestSupport.CHILD_LOGGING, "-cp",
                    cp, "org.rfaas.cli.Main", "tenants", "add", "mpi-job", "--max-cores", "2", "--url", url, "--admin-token",
                    ADMIN, "--key-file", keyFile.toString()).redirectErrorStream(true).start();
            String added = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, add.waitFor(), added);
            assertTrue(Files.readString(keyFile).startsWith("rfk_") && !added.contains(Files.readString(keyFile).strip()),
                    "the key is in the file, not on the terminal: " + added);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));

            String output = MpiRun.run(dir, "org.rfaas.apps.blackscholes.BlackScholesApp", List.of("--resource-manager",
                    url, "--tenant", "mpi-job", "--api-key-file", keyFile.toString(), "--offload", "0.5", "--size", "simsmall",
                    "--batch", "1024", "--check"));
            // 2048 options per rank, half of them offloaded in one batch of 1024
            assertTrue(output.contains("check=bitwise-equal") && output.contains("calls=2"), output);

            JsonNode leases = get(http, url + "/v1/leases");
            int ours = 0;
            for (JsonNode l : leases.isArray() ? leases : leases.path("leases")) {
                if ("mpi-job".equals(l.path("tenant").asText())) {
                    ours++;
                }
            }
            assertEquals(2, ours, "one lease per rank: " + leases);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (get(http, url + "/v1/leases?state=ACTIVE").toString().contains("mpi-job")) {
                assertTrue(System.nanoTime() < deadline, "leases still active: " + get(http, url + "/v1/leases?state=ACTIVE"));
                Thread.sleep(200);
            }
        } finally {
            if (manager != null) {
                manager.close();
            }
            rm.destroy();
            if (!rm.waitFor(10, TimeUnit.SECONDS)) {
                rm.destroyForcibly();
            }
            SystemTestSupport.deleteTree(dir);
        }
    }

    private static JsonNode get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + ADMIN)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return new ObjectMapper().readTree(r.body());
    }
}
