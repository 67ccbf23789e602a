package org.rfaas.systemtests;

/** {@link PipelineSystemTest} over {@code tcp}. */
class TcpPipelineSystemTest extends PipelineSystemTest {
    @Override
    String listenAddress() {
        return "tcp://127.0.0.1:0";
    }
}
