package org.rfaas.client;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The functions an executor announced, by index (the wire form) and by name. Immutable. */
final class FunctionTable {
    private final List<String> names;
    /**
     * {@code names.size()}, kept apart: the invocation path checks indices against it, and a call
     * through the list would profile the list's class (List.copyOf gives one class for 1-2 names
     * and another for more), which a warm-up with another function count would then miss.
     */
    private final int count;
    private final Map<String, Integer> byName = new HashMap<>();

    FunctionTable(List<String> names) {
        this.names = List.copyOf(names);
        this.count = this.names.size();
        for (int i = 0; i < this.names.size(); i++) {
            byName.put(this.names.get(i), i);
        }
    }

    List<String> names() {
        return names;
    }

    /** The index of {@code name}; {@link UnknownFunctionException} when the package has no such function. */
    int index(String name) {
        Integer index = byName.get(name);
        if (index == null) {
            throw new UnknownFunctionException("function '" + name + "' is not in the package; it has " + names);
        }
        return index;
    }

    int check(int index) {
        if (index < 0 || index >= count) {
            throw new UnknownFunctionException("function index " + index + " is outside 0.." + (count - 1));
        }
        return index;
    }

    String nameOrNull(int index) {
        return index >= 0 && index < names.size() ? names.get(index) : null;
    }
}
