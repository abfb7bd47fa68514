package dev.arbor.backend.logging;

import org.slf4j.event.Level;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Log levels and format, from {@code ARBOR_LOG_LEVEL} / {@code -Darbor.log.level} and {@code ARBOR_LOG_FORMAT}
 * / {@code -Darbor.log.format}. A level spec is {@code info} or {@code info,dev.arbor.backend.compute=debug,io.netty=warn}:
 * a logger takes the level of its longest matching name prefix. Loggers cache their level and re-resolve
 * when {@link #generation} moves (a test may change levels at run time).
 */
public final class LogConfig {
    public enum Format { JSON, TEXT }

    private static volatile Map<String, Level> levels = parse(setting("arbor.log.level", "ARBOR_LOG_LEVEL", "info"));
    private static volatile Format format = "text".equalsIgnoreCase(setting("arbor.log.format", "ARBOR_LOG_FORMAT", "json"))
            ? Format.TEXT : Format.JSON;
    private static volatile int generation;

    private LogConfig() {}

    private static String setting(String property, String env, String fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) v = System.getenv(env);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    static Map<String, Level> parse(String spec) {
        Map<String, Level> m = new TreeMap<>();
        m.put("", Level.INFO);
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            int eq = p.indexOf('=');
            String name = eq < 0 ? "" : p.substring(0, eq).strip();
            String level = eq < 0 ? p : p.substring(eq + 1).strip();
            m.put(name, level(level));
        }
        return Map.copyOf(m);
    }

    private static Level level(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.TRACE;
            case "debug" -> Level.DEBUG;
            case "warn", "warning" -> Level.WARN;
            case "error" -> Level.ERROR;
            default -> Level.INFO;
        };
    }

    /** The most verbose level {@code logger} writes. */
    static Level levelOf(String logger) {
        Map<String, Level> l = levels;
        String best = "";
        for (String prefix : l.keySet()) {
            if (prefix.length() > best.length() && (logger.equals(prefix) || logger.startsWith(prefix + "."))) best = prefix;
        }
        return l.get(best);
    }

    static int generation() { return generation; }

    public static Format format() { return format; }

    /** Replaces the level spec at run time (tests; an operator restarts with ARBOR_LOG_LEVEL instead). */
    public static void setLevels(String spec) {
        levels = parse(spec);
        generation++;
    }

    public static void setFormat(Format f) { format = f; }
}
