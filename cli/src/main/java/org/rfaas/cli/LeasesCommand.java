package org.rfaas.cli;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.rfaas.rmclient.LeaseGrant;
import org.rfaas.rmclient.LeaseInfo;
import org.rfaas.rmclient.ResourceManagerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rfaas leases [request|release]}: the resource manager's leases. */
@Command(name = "leases", mixinStandardHelpOptions = true,
        description = "Lists leases (newest first); sub-commands request and release.",
        subcommands = {LeasesCommand.Request.class, LeasesCommand.Release.class})
public final class LeasesCommand implements Callable<Integer> {
    @Mixin
    ResourceManagerCommand.Connection rm;

    @Option(names = "--state", paramLabel = "STATE", description = "Only ACTIVE, RELEASED, EXPIRED or REVOKED leases.")
    String state;

    @Override
    public Integer call() {
        return ResourceManagerCommand.run(() -> {
            List<LeaseInfo> leases = rm.admin().listLeases(state);
            System.out.printf("%-8s %-12s %-16s %5s %10s %-9s %-24s %s%n", "LEASE", "TENANT", "NODE", "CORES", "MEM MiB",
                    "STATE", "EXPIRES", "END REASON");
            for (LeaseInfo l : leases) {
                System.out.printf("%-8d %-12s %-16s %5d %10d %-9s %-24s %s%n", l.leaseId(), l.tenant(), l.node(), l.cores(),
                        l.memoryMiB(), l.state(), Instant.ofEpochMilli(l.expiresAtEpochMillis()), l.endReason());
            }
            if (leases.isEmpty()) {
                System.out.println("(no leases)");
            }
        });
    }

    /** {@code rfaas leases request}: asks for a lease and prints the grant (token included). */
    @Command(name = "request", mixinStandardHelpOptions = true, description = "Requests a lease and prints the grant as JSON.")
    static final class Request implements Callable<Integer> {
        @Option(names = "--url", defaultValue = "${env:RFAAS_RM_URL:-http://127.0.0.1:8090}")
        String url;
        @Option(names = "--cores", defaultValue = "1")
        int cores;
        @Option(names = "--memory", defaultValue = "256", paramLabel = "MiB")
        long memoryMiB;
        @Option(names = "--duration", defaultValue = "0", paramLabel = "MILLIS", description = "0 = the resource manager's default")
        long durationMillis;
        @Option(names = "--tenant", defaultValue = "${env:USER:-default}")
        String tenant;
        @Option(names = "--api-key-file", paramLabel = "FILE",
                description = "The tenant's API key (default: $" + org.rfaas.client.rm.TenantKey.ENV + ").")
        java.nio.file.Path apiKeyFile;

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> {
                LeaseGrant g = ResourceManagerClient.forTenant(java.net.URI.create(url),
                        org.rfaas.client.rm.TenantKey.resolve(apiKeyFile)).requestLease(cores, memoryMiB, durationMillis, tenant);
                System.out.println(ResourceManagerClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(g));
            });
        }
    }

    /** {@code rfaas leases release ID}: an administrator ends a lease. */
    @Command(name = "release", mixinStandardHelpOptions = true, description = "Releases a lease (admin token).")
    static final class Release implements Callable<Integer> {
        @Mixin
        ResourceManagerCommand.Connection rm;
        @Parameters(index = "0", paramLabel = "LEASE")
        long leaseId;

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> {
                LeaseInfo l = rm.admin().releaseLease(leaseId, null);
                System.out.println("lease " + l.leaseId() + " is " + l.state() + " (" + l.endReason() + ")");
            });
        }
    }
}
