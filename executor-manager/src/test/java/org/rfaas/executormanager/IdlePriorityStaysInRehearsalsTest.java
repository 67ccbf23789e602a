package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rehearsals of a manager and of its spares run at {@code SCHED_IDLE}, which every thread they
 * start inherits and which an unprivileged thread cannot leave. A thread the whole process shares
 * (the one that sends every connection's heartbeats) must never be started by one of them: on a
 * loaded machine an idle-priority heartbeat thread starves past the peer's liveness timeout and
 * the client declares a live executor lost. Read from the kernel's {@code /proc/<pid>/task/<tid>/stat}.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class IdlePriorityStaysInRehearsalsTest {
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
    void onlyTheRehearsalThreadsOfASpareAndOfItsManagerRunAtIdlePriority() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n",
                List.of("shm:" + dir.resolve("m.sock"), "tcp://127.0.0.1:0", "fabric:tcp://127.0.0.1:0"), 2, 2048, dir)
                .withSpareExecutors(1).withSpareMemoryMiB(256), null);
        manager.start();
        Await.until(() -> manager.connectedSpareCount() == 1, "the spare connected");
        long spare = manager.spareExecutorPids().getFirst();
        // The spare rehearses serving over each transport (connections, and with them heartbeats)
        // on idle-priority threads that end when it is done: wait for them to come and go.
        Await.until(() -> !threads(spare, "rfaas-spare-reh").isEmpty(), "the spare's serving rehearsal started");
        Await.until(() -> threads(spare, "rfaas-spare-reh").isEmpty(), "the spare's serving rehearsal ended");
        assertEquals(List.of(), idleThreads(spare, List.of()), "threads of the spare at SCHED_IDLE after its rehearsal");

        Await.until(() -> !manager.rehearsing(), "the manager's rehearsal ended");
        // (other tests of this JVM may have left in-process spares still rehearsing)
        assertEquals(List.of(), idleThreads(ProcessHandle.current().pid(), List.of("rfaas-em-rehea", "rfaas-spare-reh")),
                "threads of the manager's JVM at SCHED_IDLE besides rehearsals");
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

    /** "name (tid)" of the threads of {@code pid} at SCHED_IDLE, but for names starting with one of {@code except}. */
    private static List<String> idleThreads(long pid, List<String> except) {
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
            if (policy == SCHED_IDLE && comm != null && except.stream().noneMatch(comm::startsWith)) {
                idle.add(comm + " (" + task.getFileName() + ")");
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
