package org.rfaas.testbed;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Runs in a testbed host: listens on 0.0.0.0:PORT and answers each line with
 * {@code <hostname> <line>}, so a test sees which host answered. Prints {@code listening} when ready.
 */
public final class EchoServer {
    private EchoServer() {
    }

    public static void main(String[] args) throws Exception {
        String hostname = InetAddress.getLocalHost().getHostName();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("0.0.0.0", Integer.parseInt(args[0])));
            System.out.println("listening");
            System.out.flush();
            while (true) {
                try (Socket s = server.accept();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    out.println(hostname + " " + in.readLine());
                }
            }
        }
    }
}
