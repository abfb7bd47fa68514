package dev.arbor.backend.logging;

import org.slf4j.spi.MDCAdapter;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * MDC on a plain (not inheritable) thread-local. slf4j's BasicMDCAdapter hands the map to child threads,
 * so a pool thread first started while serving a request would carry that request's id forever.
 */
final class ThreadMdc implements MDCAdapter {
    private final ThreadLocal<Map<String, String>> values = ThreadLocal.withInitial(HashMap::new);
    private final ThreadLocal<Map<String, Deque<String>>> stacks = ThreadLocal.withInitial(HashMap::new);

    @Override public void put(String key, String val) {
        if (key == null) throw new IllegalArgumentException("MDC key is null");
        if (val == null) values.get().remove(key);
        else values.get().put(key, val);
    }
    @Override public String get(String key) { return values.get().get(key); }
    @Override public void remove(String key) { values.get().remove(key); }
    @Override public void clear() { values.remove(); }
    @Override public Map<String, String> getCopyOfContextMap() { return new HashMap<>(values.get()); }
    @Override public void setContextMap(Map<String, String> map) { values.set(new HashMap<>(map)); }
    @Override public void pushByKey(String key, String value) { stacks.get().computeIfAbsent(key, k -> new ArrayDeque<>()).push(value); }
    @Override public String popByKey(String key) {
        Deque<String> d = stacks.get().get(key);
        return d == null ? null : d.poll();
    }
    @Override public Deque<String> getCopyOfDequeByKey(String key) {
        Deque<String> d = stacks.get().get(key);
        return d == null ? null : new ArrayDeque<>(d);
    }
    @Override public void clearDequeByKey(String key) {
        Deque<String> d = stacks.get().get(key);
        if (d != null) d.clear();
    }

    /** The current thread's values without copying (the writer only reads them). */
    Map<String, String> view() { return values.get(); }
}
