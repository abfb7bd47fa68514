package dev.arbor.backend.logging;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The SLF4J 2 provider of the backend (found through {@code META-INF/services}): one JSON object per
 * line on standard error. It replaces slf4j-simple without touching any call site; java.util.logging
 * (pgjdbc) is routed here too by {@link JulBridge}.
 */
public final class JsonLogProvider implements SLF4JServiceProvider {
    private final ThreadMdc mdc = new ThreadMdc();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final ConcurrentHashMap<String, Logger> loggers = new ConcurrentHashMap<>();
    private final ILoggerFactory factory = name -> loggers.computeIfAbsent(name, n -> new JsonLogger(n, mdc));

    @Override public ILoggerFactory getLoggerFactory() { return factory; }
    @Override public IMarkerFactory getMarkerFactory() { return markers; }
    @Override public MDCAdapter getMDCAdapter() { return mdc; }
    @Override public String getRequestedApiVersion() { return "2.0.99"; }

    @Override
    public void initialize() {
        JulBridge.install();
    }
}
