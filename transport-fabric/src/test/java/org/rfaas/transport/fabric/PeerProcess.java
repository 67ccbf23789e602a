package org.rfaas.transport.fabric;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A {@link FabricPeer} in a child JVM; close() destroys it. */
final class PeerProcess implements AutoCloseable {
    final Process process;
    final String address;

    PeerProcess(String transport, String... systemProperties) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        for (String p : systemProperties) {
            cmd.add("-D" + p);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FabricPeer.class.getName());
        cmd.add(transport);
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                // The address is the first line in address form; logging may print status lines first.
                String l;
                while ((l = r.readLine()) != null && !l.startsWith("fabric:")) {
                    System.err.println("peer: " + l);
                }
                return l;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        String a = line.get(30, TimeUnit.SECONDS);
        if (a == null) {
            throw new IllegalStateException("peer exited before printing its address: " + process.waitFor());
        }
        address = a.trim();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive() && !process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
