package org.rfaas.resourcemanager.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.sse.SseClient;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.rfaas.rmclient.ClusterEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one {@code GET /v1/events} subscriber: forwards its bus subscription as Server-Sent
 * Events ({@code event: TYPE}, {@code id: SEQ}, {@code data: JSON}) and writes a comment line
 * when nothing happened for {@link #HEARTBEAT_MILLIS}, so proxies and the client see a live
 * stream. Runs on its own thread (Javalin's async pool): a subscriber that reads slowly blocks
 * only this thread; the bus drops it when its queue fills.
 */
public final class EventStream {
    private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);
    /** Idle interval after which a heartbeat comment is written. */
    public static final long HEARTBEAT_MILLIS = 5_000;
    /** Events that may wait for one subscriber before it is dropped. */
    public static final int QUEUE_CAPACITY = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventStream() {
    }

    /** Streams the events {@code filter} accepts to {@code client} until it disconnects or falls behind. */
    public static void serve(EventBus bus, Predicate<ClusterEvent> filter, SseClient client) {
        try (EventBus.Subscription sub = bus.subscribe(filter, QUEUE_CAPACITY)) {
            client.sendComment("subscribed");
            while (!client.terminated()) {
                ClusterEvent e = sub.poll(HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
                if (sub.dropped()) {
                    client.sendComment("dropped: too slow; reconnect");
                    break;
                }
                if (e == null) {
                    client.sendComment("heartbeat");
                } else {
                    client.sendEvent(e.type(), JSON.writeValueAsString(e), Long.toString(e.seq()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("event stream ended: {}", e.getMessage());
        } finally {
            client.close();
        }
    }
}
