package org.rfaas.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import org.rfaas.rmclient.TenantInfo;
import org.rfaas.rmclient.TenantRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rfaas tenants [add|rotate-key|remove]}: the tenants that may ask the resource manager for
 * leases, their quotas and API keys (admin token). A key is shown once, when it is made; with
 * {@code --key-file} it goes to an owner-only file instead of the terminal.
 */
@Command(name = "tenants", mixinStandardHelpOptions = true,
        description = "Lists tenants and their quotas; sub-commands add, rotate-key, remove (admin token).",
        subcommands = {TenantsCommand.Add.class, TenantsCommand.RotateKey.class, TenantsCommand.Remove.class})
public final class TenantsCommand implements Callable<Integer> {
    @Mixin
    ResourceManagerCommand.Connection rm;

    @Override
    public Integer call() {
        return ResourceManagerCommand.run(() -> print(rm.admin().listTenants()));
    }

    static void print(List<TenantInfo> tenants) {
        System.out.printf("%-24s %10s %16s%n", "TENANT", "MAX CORES", "MAX MEMORY MiB");
        for (TenantInfo t : tenants) {
            System.out.printf("%-24s %10s %16s%n", t.name(), t.maxCores() == 0 ? "-" : Integer.toString(t.maxCores()),
                    t.maxMemoryMiB() == 0 ? "-" : Long.toString(t.maxMemoryMiB()));
        }
        if (tenants.isEmpty()) {
            System.out.println("(no tenants)");
        }
    }

    /** Prints the key, or writes it to an owner-only file. */
    static void showKey(TenantInfo t, Path keyFile) throws java.io.IOException {
        if (keyFile == null) {
            System.out.println("API key of tenant " + t.name() + " (shown once; give it to the tenant, e.g. as "
                    + org.rfaas.client.rm.TenantKey.ENV + "):");
            System.out.println(t.apiKey());
            return;
        }
        Files.deleteIfExists(keyFile);
        Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(keyFile, t.apiKey() + "\n");
        System.out.println("API key of tenant " + t.name() + " written to " + keyFile + " (owner-only)");
    }

    /** {@code rfaas tenants add NAME}. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = "Creates a tenant with optional quotas; prints its API key.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ResourceManagerCommand.Connection rm;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--max-cores", defaultValue = "0", description = "Cores its active leases may hold together (0: no quota).")
        int maxCores;
        @Option(names = "--max-memory", defaultValue = "0", paramLabel = "MiB",
                description = "Memory its active leases may hold together (0: no quota).")
        long maxMemoryMiB;
        @Option(names = "--key-file", paramLabel = "FILE", description = "Write the API key to this owner-only file.")
        Path keyFile;

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> {
                TenantInfo t = rm.admin().createTenant(new TenantRequest(name, maxCores, maxMemoryMiB));
                print(List.of(t));
                showKey(t, keyFile);
            });
        }
    }

    /** {@code rfaas tenants rotate-key NAME}. */
    @Command(name = "rotate-key", mixinStandardHelpOptions = true, description = "Gives a tenant a new API key; the old one stops working.")
    static final class RotateKey implements Callable<Integer> {
        @Mixin
        ResourceManagerCommand.Connection rm;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--key-file", paramLabel = "FILE", description = "Write the API key to this owner-only file.")
        Path keyFile;

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> showKey(rm.admin().rotateTenantKey(name), keyFile));
        }
    }

    /** {@code rfaas tenants remove NAME}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Removes a tenant: its key stops working.")
    static final class Remove implements Callable<Integer> {
        @Mixin
        ResourceManagerCommand.Connection rm;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> print(List.of(rm.admin().removeTenant(name))));
        }
    }
}
