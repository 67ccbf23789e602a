package org.rfaas.resourcemanager.web;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rfaas.rmclient.NodeActivity;
import org.rfaas.resourcemanager.StateObserver;

/**
 * Invocation and cold-start rates per node for the dashboard, derived from the running totals
 * each executor manager sends with its heartbeat ({@link NodeActivity}): the rate over an interval
 * is the difference between two heartbeats divided by the time between them. A total smaller than
 * the last one means the manager restarted: that heartbeat only sets a new baseline. Each node
 * keeps its last {@value #HISTORY_SECONDS} s of rates; a removed node is forgotten.
 */
final class NodeRates implements StateObserver {
    static final int HISTORY_SECONDS = 120;
    /** Most samples kept per node, whatever the heartbeat period. */
    private static final int MAX_SAMPLES = 240;
    /** A rate older than this is not shown as current (the node stopped heartbeating). */
    static final long STALE_MILLIS = 10_000;
    /** Nodes drawn in the chart: the busiest ones. */
    static final int CHART_NODES = 8;

    /** One interval between two heartbeats of a node. */
    record Sample(long atEpochMillis, double invocationsPerSecond, double coldStartsPerSecond, double coldStartMeanMillis) {
    }

    private static final class Node {
        NodeActivity last;
        long lastAtMillis;
        final ArrayDeque<Sample> samples = new ArrayDeque<>();
    }

    private final Map<String, Node> nodes = new HashMap<>();

    /** A heartbeat of {@code node} at {@code atEpochMillis} reported {@code a}. */
    synchronized void record(String node, NodeActivity a, long atEpochMillis) {
        Node n = nodes.computeIfAbsent(node, k -> new Node());
        NodeActivity prev = n.last;
        long elapsed = atEpochMillis - n.lastAtMillis;
        n.last = a;
        n.lastAtMillis = atEpochMillis;
        if (prev == null || elapsed <= 0 || a.invocations() < prev.invocations() || a.coldStarts() < prev.coldStarts()
                || a.coldStartNanos() < prev.coldStartNanos()) {
            return; // first heartbeat, or the manager restarted: a baseline, no rate yet
        }
        double seconds = elapsed / 1000.0;
        long cold = a.coldStarts() - prev.coldStarts();
        n.samples.addLast(new Sample(atEpochMillis, (a.invocations() - prev.invocations()) / seconds, cold / seconds,
                cold == 0 ? 0 : (a.coldStartNanos() - prev.coldStartNanos()) / 1e6 / cold));
        while (n.samples.size() > MAX_SAMPLES
                || n.samples.peekFirst().atEpochMillis() < atEpochMillis - HISTORY_SECONDS * 1000L) {
            n.samples.removeFirst();
        }
    }

    @Override
    public synchronized void nodeEvent(String node, String event) {
        if (NODE_REMOVED.equals(event)) {
            nodes.remove(node);
        }
    }

    /**
     * Per node (by name): the current rates ({@code null} while unknown or stale), the totals since
     * its manager started, and for the {@value #CHART_NODES} busiest nodes the history as
     * {@code [seconds before now, invocations/s]} pairs.
     */
    synchronized Map<String, Object> snapshot(long nowMillis) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map.Entry<String, Node>> busiest = new ArrayList<>(nodes.entrySet());
        busiest.sort(Comparator.comparingDouble((Map.Entry<String, Node> e) -> -current(e.getValue(), nowMillis))
                .thenComparing(Map.Entry::getKey));
        int charted = 0;
        for (Map.Entry<String, Node> e : busiest) {
            Node n = e.getValue();
            Map<String, Object> m = new LinkedHashMap<>();
            Sample s = n.samples.peekLast();
            boolean fresh = s != null && nowMillis - n.lastAtMillis <= STALE_MILLIS && s.atEpochMillis() == n.lastAtMillis;
            m.put("invocationsPerSecond", fresh ? s.invocationsPerSecond() : null);
            m.put("coldStartsPerSecond", fresh ? s.coldStartsPerSecond() : null);
            m.put("coldStartMeanMillis", fresh && s.coldStartsPerSecond() > 0 ? s.coldStartMeanMillis() : null);
            m.put("invocations", n.last.invocations());
            m.put("failedInvocations", n.last.failedInvocations());
            m.put("coldStarts", n.last.coldStarts());
            if (charted < CHART_NODES && !n.samples.isEmpty()) {
                charted++;
                List<double[]> history = new ArrayList<>(n.samples.size());
                for (Sample h : n.samples) {
                    history.add(new double[] {(h.atEpochMillis() - nowMillis) / 1000.0, h.invocationsPerSecond(),
                        h.coldStartsPerSecond()});
                }
                m.put("history", history);
            }
            out.put(e.getKey(), m);
        }
        return out;
    }

    private static double current(Node n, long nowMillis) {
        Sample s = n.samples.peekLast();
        return s == null || nowMillis - n.lastAtMillis > STALE_MILLIS ? 0 : s.invocationsPerSecond();
    }
}
