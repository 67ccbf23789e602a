package org.rfaas.systemtests;

/** {@link FailureSystemTest} over {@code tcp}. */
class TcpFailureSystemTest extends FailureSystemTest {
    @Override
    String listenAddress() {
        return "tcp://127.0.0.1:0";
    }
}
