package org.rfaas.systemtests;

/** {@link InvocationSystemTest} over the {@code tcp} transport. */
class TcpInvocationSystemTest extends InvocationSystemTest {
    @Override
    String listenAddress() {
        return "tcp://127.0.0.1:0";
    }
}
