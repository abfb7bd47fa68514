package dev.arbor.backend.logging;

import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventAware;

import java.util.List;

/** One named logger: level check against {@link LogConfig}, then a {@link LogLine} to {@link LogOutput}. */
final class JsonLogger extends LegacyAbstractLogger implements LoggingEventAware {
    private final transient ThreadMdc mdc;
    private volatile int generation = -1;
    private volatile int threshold;  // Level.toInt() of the most verbose level written

    JsonLogger(String name, ThreadMdc mdc) {
        this.name = name;
        this.mdc = mdc;
    }

    private boolean enabled(Level level) {
        int g = LogConfig.generation();
        if (g != generation) {
            threshold = LogConfig.levelOf(name).toInt();
            generation = g;
        }
        return level.toInt() >= threshold;
    }

    @Override public boolean isTraceEnabled() { return enabled(Level.TRACE); }
    @Override public boolean isDebugEnabled() { return enabled(Level.DEBUG); }
    @Override public boolean isInfoEnabled() { return enabled(Level.INFO); }
    @Override public boolean isWarnEnabled() { return enabled(Level.WARN); }
    @Override public boolean isErrorEnabled() { return enabled(Level.ERROR); }

    @Override protected String getFullyQualifiedCallerName() { return null; }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
        emit(level, pattern, args, null, t);
    }

    /** The fluent API ({@code log.atInfo().addKeyValue(..).log(..)}) arrives here with its key/values. */
    @Override
    public void log(LoggingEvent e) {
        if (!enabled(e.getLevel())) return;
        emit(e.getLevel(), e.getMessage(), e.getArgumentArray(), e.getKeyValuePairs(), e.getThrowable());
    }

    private void emit(Level level, String pattern, Object[] args, List<KeyValuePair> kvs, Throwable t) {
        FormattingTuple f = MessageFormatter.arrayFormat(pattern, args);
        Throwable error = t != null ? t : f.getThrowable();
        LogOutput.write(LogLine.render(level, name, Thread.currentThread().getName(), f.getMessage(), mdc.view(), kvs, error));
    }
}
