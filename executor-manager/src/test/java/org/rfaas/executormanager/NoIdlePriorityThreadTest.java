package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No thread of a manager or of its spare ever runs at {@code SCHED_IDLE}, not even their
 * rehearsals': every safepoint of a JVM waits for each thread running Java code to reach a poll,
 * and on a loaded machine a runnable idle-priority thread waits seconds for the CPU. A manager
 * whose rehearsal ran at {@code SCHED_IDLE} beside two spinning MPI ranks froze whole for 0.6-2 s
 * at a time (its heartbeat thread blocked in the safepoint, the rehearsal runnable), so its clients
 * declared it lost; a leased spare would do the same beside its lease's spinning worker. Sampled
 * from the kernel's {@code /proc/<pid>/task/<tid>/stat} while the rehearsals run and after.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NoIdlePriorityThreadTest {
    /** {@code SCHED_IDLE} in {@code <sched.h>}: the policy field of {@code /proc/<pid>/task/<tid>/stat}. */
    private static final int SCHED_IDLE = 5;
    @TempDir
    Path dir;
    ExecutorManager manager;

    @AfterEach
    void close() {
        HandWrittenClient.closeAll(manager, null); // and waits for the spares to exit
    }

    @Test
    void noThreadOfAManagerOrOfItsSpareRunsAtIdlePriorityWhileTheyRehearseOrAfter() throws Exception {
        long self = ProcessHandle.current().pid();
        manager = new ExecutorManager(ExecutorManagerConfig.of("n",
                List.of("shm:" + dir.resolve("m.sock"), "tcp://127.0.0.1:0", "fabric:tcp://127.0.0.1:0"), 2, 2048, dir)
                .withSpareExecutors(1).withSpareMemoryMiB(256), null);
        manager.start();
        Set<String> idle = new TreeSet<>();
        boolean sawManagerRehearsal = false;
        // The manager rehearses the allocation path at start; sampled until it is done.
        while (manager.rehearsing()) {
            sawManagerRehearsal |= !threads(self, "rfaas-em-rehea").isEmpty();
            idle.addAll(idleThreads(self));
            Thread.sleep(2);
        }
        Await.until(() -> manager.connectedSpareCount() == 1, "the spare connected");
        long spare = manager.spareExecutorPids().getFirst();
        // The spare rehearses serving over each transport on threads that end when it is done.
        boolean sawSpareRehearsal = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            boolean rehearsing = !threads(spare, "rfaas-spare-reh").isEmpty();
            sawSpareRehearsal |= rehearsing;
            idle.addAll(idleThreads(spare));
            idle.addAll(idleThreads(self));
            if (sawSpareRehearsal && !rehearsing) {
                break;
            }
            Thread.sleep(2);
        }
        assertTrue(sawSpareRehearsal, "the spare's serving rehearsal was never seen");
        idle.addAll(idleThreads(spare));
        idle.addAll(idleThreads(self));
        assertEquals(Set.of(), idle, "threads at SCHED_IDLE (manager rehearsal seen: " + sawManagerRehearsal + ")");
    }

    /** Threads of {@code pid} whose name starts with {@code prefix}. */
    private static List<String> threads(long pid, String prefix) {
        List<String> found = new ArrayList<>();
        for (Path task : tasks(pid)) {
            String comm = comm(task);
            if (comm != null && comm.startsWith(prefix)) {
                found.add(comm);
            }
        }
        return found;
    }

    /** "name" of the threads of {@code pid} (and its descendants) at SCHED_IDLE. */
    private static List<String> idleThreads(long pid) {
        List<String> idle = new ArrayList<>();
        for (Path task : tasks(pid)) {
            String comm = comm(task);
            String stat;
            try {
                stat = Files.readString(task.resolve("stat"));
            } catch (IOException e) {
                continue; // ended meanwhile
            }
            // after "pid (comm) " come fields 3 (state) onwards; field 41 is the policy
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            int policy = Integer.parseInt(fields[41 - 3]);
            if (policy == SCHED_IDLE && comm != null) {
                idle.add(comm);
            }
        }
        return idle;
    }

    /** The threads of {@code pid} and of its descendants (a sandboxed spare's JVM runs under bubblewrap). */
    private static List<Path> tasks(long pid) {
        List<Path> tasks = new ArrayList<>();
        List<Long> pids = new ArrayList<>(List.of(pid));
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        for (long p : pids) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc", Long.toString(p), "task"))) {
                s.forEach(tasks::add);
            } catch (IOException e) {
                // the process ended meanwhile
            }
        }
        return tasks;
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
