package org.rfaas.cli;

import java.util.concurrent.Callable;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.TenantBilling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rfaas billing}: billed leases and totals per tenant. */
@Command(name = "billing", mixinStandardHelpOptions = true,
        description = "Shows billing per tenant (and per lease with --leases), as reported by the executor managers.")
public final class BillingCommand implements Callable<Integer> {
    @Mixin
    ResourceManagerCommand.Connection rm;

    @Option(names = "--leases", description = "Also list every billed lease.")
    boolean leases;

    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    @Override
    public Integer call() {
        return ResourceManagerCommand.run(() -> {
            BillingSummary b = rm.admin().billing();
            if (json) {
                System.out.println(org.rfaas.rmclient.ResourceManagerClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(b));
                return;
            }
            if (leases) {
                System.out.printf("%-8s %-12s %-16s %14s %14s %14s %14s%n", "LEASE", "TENANT", "NODE", "ALLOC ms",
                        "COMPUTE ms", "HOT-POLL ms", "MEM MiB*s");
                for (LeaseBilling l : b.leases()) {
                    System.out.printf("%-8d %-12s %-16s %14.3f %14.3f %14.3f %14.1f%n", l.leaseId(), l.tenant(), l.node(),
                            l.allocationNanos() / 1e6, l.computeNanos() / 1e6, l.hotPollingNanos() / 1e6, l.memoryMiBSeconds());
                }
                System.out.println();
            }
            System.out.printf("%-12s %7s %14s %14s %14s %14s%n", "TENANT", "LEASES", "ALLOC ms", "COMPUTE ms",
                    "HOT-POLL ms", "MEM MiB*s");
            for (TenantBilling t : b.tenants()) {
                System.out.printf("%-12s %7d %14.3f %14.3f %14.3f %14.1f%n", t.tenant(), t.leases(), t.allocationNanos() / 1e6,
                        t.computeNanos() / 1e6, t.hotPollingNanos() / 1e6, t.memoryMiBSeconds());
            }
            if (b.tenants().isEmpty()) {
                System.out.println("(nothing billed yet)");
            }
        });
    }
}
