package org.rfaas.systemtests;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import org.rfaas.cli.Main;
import org.rfaas.transport.fabric.FabricInfo;

/**
 * A JVM that loads libfabric and then raises the SIGSEGVs the JVM raises on purpose (implicit null
 * checks); prints {@code survived} when the JVM's own signal handler is still in place.
 *
 * <p>{@code SignalProbeMain cli|bare raw|fabric}: {@code cli} first prepares the process as the
 * CLI does; {@code raw} loads libfabric with a plain {@code dlopen} (as any native library that
 * uses it would), {@code fabric} through the fabric transport (which saves and restores the
 * signal handlers around libfabric's loading and {@code fi_getinfo}).
 */
public final class SignalProbeMain {
    private SignalProbeMain() {
    }

    public static void main(String[] args) {
        if (args[0].equals("cli")) {
            Main.prepareProcess();
        }
        if (args[1].equals("raw")) {
            SymbolLookup.libraryLookup("libfabric.so.1", Arena.global());
            System.out.println("libfabric loaded");
        } else {
            String problem = FabricInfo.libraryProblem();
            // fi_getinfo initialises every provider, psm included.
            System.out.println(problem == null ? "libfabric loaded, offers " + FabricInfo.offered() : "libfabric absent: " + problem);
        }
        System.out.flush();
        int[][] arrays = {new int[3], null};
        long npes = 0;
        for (int i = 0; i < 200_000; i++) {
            try {
                npes += arrays[i >>> 17].length; // null after 131072 calls, by then compiled code
            } catch (NullPointerException e) {
                npes++;
            }
        }
        System.out.println("survived " + npes);
    }
}
