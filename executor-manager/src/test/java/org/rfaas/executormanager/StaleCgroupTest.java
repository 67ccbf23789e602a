package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A manager killed without closing leaves {@code rfaas/<node>.<pid>} groups behind: the next
 * manager's start removes those of dead pids (with their empty executor groups) and leaves those
 * of live processes and groups that still have a task.
 */
final class StaleCgroupTest {
    @Test
    void groupsOfDeadManagersAreRemovedAtTheNextStart() throws Exception {
        String[] why = new String[1];
        CgroupHost first = CgroupHost.probe("stale-probe", 1, why);
        assumeTrue(first != null, "no writable cgroups here: " + why[0]);
        first.close();

        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Process alive = new ProcessBuilder("sleep", "60").start();
        List<Path> staleGroups = new ArrayList<>();
        List<Path> liveGroups = new ArrayList<>();
        List<Path> busyGroups = new ArrayList<>();
        Process busyTask = null;
        try {
            for (String controller : CgroupHost.CONTROLLERS) {
                Path manager = first.groupDir(controller, "x").getParent().getParent();
                Path stale = manager.resolve("stale-test." + dead.pid());
                staleGroups.add(stale);
                liveGroups.add(manager.resolve("live-test." + alive.pid()));
            }
            for (Path g : staleGroups) {
                mkdirs(first, g.resolve("x0123"));
            }
            for (Path g : liveGroups) {
                mkdirs(first, g.resolve("x4567"));
            }
            // a group whose executor outlived its manager: a task in it keeps it (and its parent)
            busyTask = new ProcessBuilder("sleep", "60").start();
            Path busyPids = null;
            for (String controller : List.of("pids")) {
                Path manager = first.groupDir(controller, "x").getParent().getParent();
                Path busy = manager.resolve("busy-test." + dead.pid() + "1");
                busyGroups.add(busy);
                mkdirs(first, busy.resolve("x89ab"));
                busyPids = busy.resolve("x89ab");
            }
            Files.writeString(busyPids.resolve("cgroup.procs"), Long.toString(busyTask.pid()));

            CgroupHost second = CgroupHost.probe("stale-probe", 1, why);
            assertNotNull(second, why[0]);
            second.close();
            for (Path g : staleGroups) {
                assertFalse(Files.exists(g), g + " of a dead manager was removed");
            }
            for (Path g : liveGroups) {
                assertTrue(Files.isDirectory(g.resolve("x4567")), g + " of a live process stays");
            }
            for (Path g : busyGroups) {
                assertTrue(Files.isDirectory(g.resolve("x89ab")), g + " with a task in it stays");
            }
        } finally {
            alive.destroyForcibly().waitFor();
            if (busyTask != null) {
                busyTask.destroyForcibly().waitFor();
            }
            for (List<Path> groups : List.of(staleGroups, liveGroups, busyGroups)) {
                for (Path g : groups) {
                    try (var children = Files.list(g)) {
                        for (Path c : children.filter(Files::isDirectory).toList()) {
                            Files.deleteIfExists(c);
                        }
                    } catch (java.io.IOException e) {
                        // gone already
                    }
                    Files.deleteIfExists(g);
                }
            }
        }
    }

    private static void mkdirs(CgroupHost host, Path dir) throws Exception {
        if (!Files.isDirectory(dir.getParent())) {
            host.makeGroup(dir.getParent());
        }
        host.makeGroup(dir);
    }
}
