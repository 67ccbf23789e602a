package org.rfaas.resourcemanager.web;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.rfaas.resourcemanager.StateObserver;

/**
 * The dashboard's list of recent events: node lifecycle events and leases that ended other than
 * by their holder (revoked, expired). Grants and releases are too frequent for a list; the rate
 * chart shows them. Keeps the newest {@value #CAPACITY}.
 */
final class EventLog implements StateObserver {
    static final int CAPACITY = 100;

    /** One line of the list. */
    record Event(long atEpochMillis, String kind, String subject, String detail) {
    }

    private final ArrayDeque<Event> events = new ArrayDeque<>(CAPACITY);

    @Override
    public void nodeEvent(String node, String event) {
        add(new Event(System.currentTimeMillis(), "node " + event, node, ""));
    }

    @Override
    public void leasesEnded(String endState, String node, int count, String reason) {
        if ("RELEASED".equals(endState)) {
            return;
        }
        String kind = "lease " + endState.toLowerCase(Locale.ROOT);
        add(new Event(System.currentTimeMillis(), kind, node == null ? "" : node, count + " lease(s): " + reason));
    }

    private synchronized void add(Event e) {
        if (events.size() == CAPACITY) {
            events.removeFirst();
        }
        events.addLast(e);
    }

    /** The events, newest first. */
    synchronized List<Event> newestFirst() {
        List<Event> out = new ArrayList<>(events.size());
        for (Iterator<Event> it = events.descendingIterator(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }
}
