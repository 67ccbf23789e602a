package org.rfaas.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.rfaas.transport.fabric.FabricCapabilities;
import org.rfaas.transport.fabric.FabricInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rfaas fabric-info}: what libfabric offers here and which path each fabric provider takes. */
@Command(name = "fabric-info", mixinStandardHelpOptions = true,
        description = {"Lists the libfabric providers and endpoint types this machine offers, and for each",
            "fabric:<provider> transport the mode it would use: one-sided RMA with remote CQ data or",
            "two-sided tagged messages, FI_ATOMIC or emulated fetch-and-add, data progress and warm wait."})
final class FabricInfoCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "PROVIDER",
            description = "variants to probe (default: tcp shm sockets verbs efa cxi psm3 opx)")
    List<String> variants;

    @Override
    public Integer call() {
        String problem = FabricInfo.libraryProblem();
        if (problem != null) {
            System.out.println("libfabric: " + problem);
            return 1;
        }
        System.out.println("libfabric " + FabricInfo.libraryVersion() + " (API asked for: 1.17)");
        System.out.println();
        System.out.println("offered by fi_getinfo (provider, endpoint type):");
        for (String p : FabricInfo.offered()) {
            System.out.println("  " + p);
        }
        System.out.println();
        System.out.println("fabric transports (what Transports.open(\"fabric:<provider>\") would use):");
        for (FabricInfo.Probe p : FabricInfo.probe(variants == null || variants.isEmpty()
                ? FabricInfo.KNOWN_VARIANTS : variants)) {
            FabricCapabilities c = p.capabilities();
            if (c == null) {
                System.out.println("  fabric:" + p.variant() + "  not available: " + p.unavailable());
            } else {
                System.out.println("  fabric:" + c.summary());
            }
        }
        System.out.println();
        System.out.println("Force a path for testing with -Drfaas.fabric.mode=rma|msg and -Drfaas.fabric.atomics=native|emulated;");
        System.out.println("choose how warm waits sleep with -Drfaas.fabric.warmWait=auto|socket|endpoint|cq (docs/rdma.md).");
        return 0;
    }
}
