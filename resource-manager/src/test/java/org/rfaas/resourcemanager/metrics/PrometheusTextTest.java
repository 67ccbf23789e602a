package org.rfaas.resourcemanager.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The test parser is strict: it must refuse what Prometheus refuses, or the metrics test proves nothing. */
final class PrometheusTextTest {
    private static final String GOOD = """
            # HELP a_total Things
            # TYPE a_total counter
            a_total{k="v \\"q\\" \\\\ \\n"} 3
            # TYPE h_seconds histogram
            h_seconds_bucket{le="0.1"} 1
            h_seconds_bucket{le="+Inf"} 2
            h_seconds_count 2
            h_seconds_sum 0.3
            """;

    @Test
    void acceptsWellFormedTextAndUnescapesLabels() {
        PrometheusText p = PrometheusText.parse(GOOD);
        assertEquals(3, p.value("a_total", "k", "v \"q\" \\ \n"));
        assertEquals(2, p.value("h_seconds_count"));
    }

    @Test
    void refusesMalformedText() {
        String[] bad = {
            "# TYPE a gauge\na 1",                                   // no final newline
            "a 1\n",                                                 // undeclared family
            "# TYPE a gauge\na{k=\"v} 1\n",                          // unterminated label value
            "# TYPE a gauge\na{k=\"\\x\"} 1\n",                      // bad escape
            "# TYPE a gauge\na one\n",                               // bad value
            "# TYPE a gauge\na 1\na 2\n",                            // duplicate series
            "# TYPE a gauge\na 1\n# TYPE a gauge\n",                 // TYPE repeated
            "# TYPE 1a gauge\n",                                     // bad name
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\n", // +Inf differs from count
        };
        for (String text : bad) {
            assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(text), text);
        }
    }
}
