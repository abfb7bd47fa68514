package dev.arbor.backend.logging;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Where finished log lines go: standard error (read at each write, so a redirected {@code System.err}
 * is honoured), plus any taps a test installs to read what the process logged.
 */
public final class LogOutput {
    private static final List<Consumer<String>> taps = new CopyOnWriteArrayList<>();

    private LogOutput() {}

    static void write(String line) {
        PrintStream err = System.err;
        synchronized (err) { err.println(line); }  // one line per call, never interleaved mid-line
        for (Consumer<String> t : taps) t.accept(line);
    }

    /** Every line written until the returned handle is closed also goes to {@code tap}. */
    public static AutoCloseable tap(Consumer<String> tap) {
        taps.add(tap);
        return () -> taps.remove(tap);
    }
}
