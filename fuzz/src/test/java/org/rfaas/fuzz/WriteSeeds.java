package org.rfaas.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes each fuzz test's seeds (valid messages from the real encoders) into its Jazzer inputs
 * directory under {@code src/test/resources}, where fuzzing starts from them and where they then
 * run as regression inputs. Run by hand after a wire format changes (see docs/hostile-peers.md):
 * {@code java -cp <fuzz test class path> org.rfaas.fuzz.WriteSeeds fuzz/src/test/resources}.
 */
public final class WriteSeeds {
    private WriteSeeds() {
    }

    public static void main(String[] args) throws Exception {
        Path resources = Path.of(args.length > 0 ? args[0] : "src/test/resources");
        write(resources, "org.rfaas.protocol.ControlMessagesFuzzTest", "decode");
        write(resources, "org.rfaas.protocol.lease.LeaseTokenFuzzTest", "verify");
        write(resources, "org.rfaas.transport.tcp.TcpFramesFuzzTest", "frames");
        write(resources, "org.rfaas.transport.shm.ShmHandshakeFuzzTest", "decode");
        write(resources, "org.rfaas.transport.fabric.FabricHandshakeFuzzTest", "decode");
        write(resources, "org.rfaas.resourcemanager.HttpBodiesFuzzTest", "parse");
        write(resources, "org.rfaas.rmclient.rpc.LeaseRpcFuzzTest", "decode");
    }

    @SuppressWarnings("unchecked")
    private static void write(Path resources, String testClass, String method) throws Exception {
        var seeds = Class.forName(testClass).getDeclaredMethod("seeds");
        seeds.setAccessible(true);
        Map<String, byte[]> bySeed = (Map<String, byte[]>) seeds.invoke(null);
        int dot = testClass.lastIndexOf('.');
        Path dir = resources.resolve(testClass.substring(0, dot).replace('.', '/'))
                .resolve(testClass.substring(dot + 1) + "Inputs").resolve(method);
        Files.createDirectories(dir);
        for (var e : bySeed.entrySet()) {
            Files.write(dir.resolve("seed-" + e.getKey()), e.getValue());
        }
        System.out.println(bySeed.size() + " seeds -> " + dir);
    }
}
