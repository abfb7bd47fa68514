package dev.arbor.backend.logging;

import org.slf4j.LoggerFactory;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/** Sends java.util.logging records (pgjdbc logs through it) to SLF4J, so they become JSON lines too. */
final class JulBridge extends Handler {
    private final SimpleFormatter formatter = new SimpleFormatter();

    static void install() {
        java.util.logging.Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        root.addHandler(new JulBridge());
        root.setLevel(Level.INFO);  // FINE and below would be formatted only to be dropped
    }

    @Override
    public void publish(LogRecord r) {
        if (r == null) return;
        String name = r.getLoggerName() == null ? "jul" : r.getLoggerName();
        var log = LoggerFactory.getLogger(name);
        String msg = formatter.formatMessage(r);
        int v = r.getLevel().intValue();
        if (v >= Level.SEVERE.intValue()) log.error(msg, r.getThrown());
        else if (v >= Level.WARNING.intValue()) log.warn(msg, r.getThrown());
        else if (v >= Level.INFO.intValue()) log.info(msg, r.getThrown());
        else if (v >= Level.FINE.intValue()) log.debug(msg, r.getThrown());
        else log.trace(msg, r.getThrown());
    }

    @Override public void flush() { }
    @Override public void close() { }
}
