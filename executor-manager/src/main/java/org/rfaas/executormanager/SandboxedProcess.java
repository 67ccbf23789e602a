package org.rfaas.executormanager;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An executor started in the sandbox, seen as the process the manager started: bubblewrap, which
 * waits for the executor and exits with its status. Stopping it signals what runs in its cgroup:
 * SIGTERM goes to the executor (bubblewrap itself would just die and leave the sandbox running),
 * SIGKILL to every task in the group.
 */
final class SandboxedProcess extends Process {
    private final Process bwrap;
    private final ExecutorCgroup cgroup;

    SandboxedProcess(Process bwrap, ExecutorCgroup cgroup) {
        this.bwrap = bwrap;
        this.cgroup = cgroup;
    }

    @Override
    public void destroy() {
        for (long pid : cgroup.pids()) {
            if (pid != bwrap.pid()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    @Override
    public Process destroyForcibly() {
        for (long pid : cgroup.pids()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        bwrap.destroyForcibly();
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public OutputStream getOutputStream() {
        return bwrap.getOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return bwrap.getInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return bwrap.getErrorStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        return bwrap.waitFor();
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return bwrap.waitFor(timeout, unit);
    }

    @Override
    public int exitValue() {
        return bwrap.exitValue();
    }

    @Override
    public boolean isAlive() {
        return bwrap.isAlive();
    }

    @Override
    public long pid() {
        return bwrap.pid();
    }

    @Override
    public ProcessHandle toHandle() {
        return bwrap.toHandle();
    }

    @Override
    public ProcessHandle.Info info() {
        return bwrap.info();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return bwrap.onExit().thenApply(p -> this);
    }

    /** The cgroup, for tests that look at it. */
    ExecutorCgroup cgroup() {
        return cgroup;
    }
}
