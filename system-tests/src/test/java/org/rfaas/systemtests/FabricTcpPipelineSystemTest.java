package org.rfaas.systemtests;

/** {@link PipelineSystemTest} over libfabric's {@code tcp} provider. */
class FabricTcpPipelineSystemTest extends PipelineSystemTest {
    @Override
    String listenAddress() {
        return "fabric:tcp://127.0.0.1:0";
    }
}
