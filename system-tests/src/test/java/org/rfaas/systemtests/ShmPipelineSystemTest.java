package org.rfaas.systemtests;

/** {@link PipelineSystemTest} over {@code shm}. */
class ShmPipelineSystemTest extends PipelineSystemTest {
    @Override
    String listenAddress() {
        return "shm:";
    }
}
