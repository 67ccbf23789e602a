package org.rfaas.demo.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a Prometheus text exposition into {@code series -> value}, the series written as in the
 * text ({@code name{label="v"}}), so that the demo can print what the executor manager counted.
 * Only for showing numbers: the tests check the format strictly.
 */
public final class ManagerScrape {
    private ManagerScrape() {
    }

    /** The samples at {@code url}; empty when it cannot be read. */
    public static Map<String, Double> values(String url) {
        Map<String, Double> out = new HashMap<>();
        if (url == null) {
            return out;
        }
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return out;
            }
            for (String line : r.body().split("\n")) {
                int space = line.lastIndexOf(' ');
                if (line.isEmpty() || line.startsWith("#") || space < 0) {
                    continue;
                }
                try {
                    out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                } catch (NumberFormatException e) {
                    // not a sample line
                }
            }
        } catch (IOException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }
}
