package org.rfaas.testbed;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Skips a test, with the reason printed, where namespace clusters cannot be built. */
final class TestbedAssumptions {
    private TestbedAssumptions() {
    }

    static void assumeNamespaces() {
        Optional<String> why = NamespaceCluster.unavailableReason();
        why.ifPresent(r -> System.out.println("SKIPPED (namespace cluster): " + r));
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElse(""));
    }
}
