package org.rfaas.client;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The functions an executor announced, by index (the wire form) and by name. Immutable. */
final class FunctionTable {
    private final List<String> names;
    private final Map<String, Integer> byName = new HashMap<>();

    FunctionTable(List<String> names) {
        this.names = List.copyOf(names);
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
        if (index < 0 || index >= names.size()) {
            throw new UnknownFunctionException("function index " + index + " is outside 0.." + (names.size() - 1));
        }
        return index;
    }

    String nameOrNull(int index) {
        return index >= 0 && index < names.size() ? names.get(index) : null;
    }
}
