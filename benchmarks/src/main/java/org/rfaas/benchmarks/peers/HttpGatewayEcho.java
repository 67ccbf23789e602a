package org.rfaas.benchmarks.peers;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import org.rfaas.benchmarks.suite.RoundTrip;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

/**
 * The HTTP gateway peer, the shape of OpenWhisk or Knative: client → gateway process → worker
 * process, each hop an HTTP/1.1 POST with a JSON body whose payload is base64.
 *
 * <p>The gateway does what such gateways do on every call and nothing more: parse the request,
 * check that the function exists, give the call an activation id, forward it to the worker, parse
 * the worker's answer and return it. There is no authentication, queue or database in the path, so
 * this is a lower bound on what a real deployment of that shape costs.
 */
public final class HttpGatewayEcho {
    private HttpGatewayEcho() {
    }

    /** Client → gateway. */
    public record InvokeRequest(byte[] payload) {
    }

    /** Gateway → client. */
    public record InvokeResponse(String activationId, byte[] output) {
    }

    /** Gateway → worker. */
    public record RunRequest(String activationId, String function, byte[] payload) {
    }

    /** Worker → gateway. */
    public record RunResponse(String activationId, byte[] output) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FUNCTION = "echo";

    private static Javalin server() {
        return Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.http.maxRequestSize = Payloads.MAX_MESSAGE_BYTES * 2L;
        });
    }

    /** Starts the worker on 127.0.0.1 and an ephemeral port; returns the port. */
    public static int startWorker() {
        Javalin app = server().post("/run", ctx -> {
            RunRequest run = JSON.readValue(ctx.bodyAsBytes(), RunRequest.class);
            if (!FUNCTION.equals(run.function())) {
                ctx.status(HttpStatus.NOT_FOUND).result("no function " + run.function());
                return;
            }
            json(ctx, new RunResponse(run.activationId(), run.payload()));
        });
        return app.start("127.0.0.1", 0).port();
    }

    /** Starts the gateway in front of the worker at {@code 127.0.0.1:workerPort}; returns its port. */
    public static int startGateway(int workerPort) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI worker = URI.create("http://127.0.0.1:" + workerPort + "/run");
        Javalin app = server().post("/api/v1/functions/{name}/invocations", ctx -> {
            String name = ctx.pathParam("name");
            if (!FUNCTION.equals(name)) {
                ctx.status(HttpStatus.NOT_FOUND).result("no function " + name);
                return;
            }
            InvokeRequest in = JSON.readValue(ctx.bodyAsBytes(), InvokeRequest.class);
            String activation = UUID.randomUUID().toString();
            HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(worker)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(
                                    JSON.writeValueAsBytes(new RunRequest(activation, name, in.payload()))))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (answer.statusCode() != 200) {
                ctx.status(HttpStatus.BAD_GATEWAY).result("worker answered " + answer.statusCode());
                return;
            }
            RunResponse run = JSON.readValue(answer.body(), RunResponse.class);
            json(ctx, new InvokeResponse(run.activationId(), run.output()));
        });
        return app.start("127.0.0.1", 0).port();
    }

    private static void json(Context ctx, Object body) throws IOException {
        ctx.contentType("application/json").result(JSON.writeValueAsBytes(body));
    }

    /** A client of the gateway at {@code 127.0.0.1:gatewayPort}. */
    public static RoundTrip client(int gatewayPort) {
        return new Client(gatewayPort);
    }

    private static final class Client implements RoundTrip {
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        private final URI uri;
        private HttpRequest request;

        Client(int gatewayPort) {
            uri = URI.create("http://127.0.0.1:" + gatewayPort + "/api/v1/functions/" + FUNCTION + "/invocations");
        }

        @Override
        public void prepare(int bytes) throws Exception {
            byte[] input = Payloads.input(bytes);
            request = HttpRequest.newBuilder(uri)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(new InvokeRequest(input))))
                    .build();
            Payloads.checkEcho("http-gateway", input, send().output());
        }

        private InvokeResponse send() throws IOException, InterruptedException {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IOException("gateway answered HTTP " + r.statusCode() + ": " + new String(r.body()));
            }
            return JSON.readValue(r.body(), InvokeResponse.class);
        }

        @Override
        public int call() throws Exception {
            return send().output().length;
        }

        @Override
        public void close() {
            http.close();
        }
    }
}
