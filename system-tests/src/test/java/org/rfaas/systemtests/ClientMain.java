package org.rfaas.systemtests;

import java.nio.file.Path;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;

/**
 * A client in a child JVM for the client-death test: allocates one core, invokes once, prints
 * {@code ready <leaseId>} and then waits to be killed. Args: manager address, package JAR.
 */
public final class ClientMain {
    private ClientMain() {
    }

    public static void main(String[] args) throws Exception {
        RfaasClient client = RfaasClient.builder().leaseSource(SystemTestSupport.database("node0", args[0], 8, 8192))
                .build();
        RemoteExecutor e = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM,
                FunctionPackage.jar(Path.of(args[1])), 64, 64));
        e.invoke("echo", new byte[] {1});
        System.out.println("ready " + e.leaseId());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
