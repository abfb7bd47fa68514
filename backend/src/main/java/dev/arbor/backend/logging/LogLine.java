package dev.arbor.backend.logging;

import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Renders one event as a single line: a JSON object ({@code ts, level, logger, thread, msg}, then MDC
 * entries such as {@code request_id}, then the event's key/values, then {@code error} and {@code stack})
 * or, with {@code ARBOR_LOG_FORMAT=text}, a human line. Every string passes {@link Redaction}.
 */
final class LogLine {
    private LogLine() {}

    static String render(Level level, String logger, String thread, String msg, Map<String, String> mdc,
                         List<KeyValuePair> kvs, Throwable error) {
        return LogConfig.format() == LogConfig.Format.TEXT
                ? text(level, logger, thread, msg, mdc, kvs, error)
                : json(level, logger, thread, msg, mdc, kvs, error);
    }

    private static String json(Level level, String logger, String thread, String msg, Map<String, String> mdc,
                               List<KeyValuePair> kvs, Throwable error) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"ts\":\"").append(Instant.now()).append('"');
        field(b, "level", level.name());
        field(b, "logger", logger);
        field(b, "thread", thread);
        field(b, "msg", msg);
        for (var e : mdc.entrySet()) field(b, e.getKey(), e.getValue());
        if (kvs != null) {
            for (KeyValuePair kv : kvs) {
                if (mdc.containsKey(kv.key)) continue;  // e.g. request_id, both in the MDC and passed explicitly
                if (kv.value instanceof Number || kv.value instanceof Boolean) {
                    b.append(",\"");
                    escape(b, kv.key);
                    b.append("\":").append(kv.value);
                } else {
                    field(b, kv.key, String.valueOf(kv.value));
                }
            }
        }
        if (error != null) {
            field(b, "error", error.toString());
            field(b, "stack", stack(error));
        }
        return b.append('}').toString();
    }

    private static String text(Level level, String logger, String thread, String msg, Map<String, String> mdc,
                               List<KeyValuePair> kvs, Throwable error) {
        StringBuilder b = new StringBuilder(160);
        b.append(Instant.now()).append(' ').append(level).append(" [").append(thread).append("] ")
                .append(logger.substring(logger.lastIndexOf('.') + 1)).append(" - ").append(Redaction.apply(msg));
        for (var e : mdc.entrySet()) b.append(' ').append(e.getKey()).append('=').append(Redaction.apply(e.getValue()));
        if (kvs != null) for (KeyValuePair kv : kvs) if (!mdc.containsKey(kv.key)) b.append(' ').append(kv.key).append('=').append(Redaction.apply(String.valueOf(kv.value)));
        if (error != null) b.append('\n').append(Redaction.apply(stack(error)).stripTrailing());
        return b.toString();
    }

    private static void field(StringBuilder b, String key, String value) {
        b.append(",\"");
        escape(b, key);
        b.append("\":");
        if (value == null) {
            b.append("null");
            return;
        }
        b.append('"');
        escape(b, Redaction.apply(value));
        b.append('"');
    }

    /** JSON string escaping (RFC 8259): quote, backslash and control characters; '/' is left alone. */
    static void escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
    }

    private static String stack(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
