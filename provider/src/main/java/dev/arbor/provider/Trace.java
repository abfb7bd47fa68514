package dev.arbor.provider;

/** Start-up phase timings on stderr when ARBOR_PROVIDER_TRACE is set (used by scripts/bench-provider). */
public final class Trace {
    private static final boolean ON = System.getenv("ARBOR_PROVIDER_TRACE") != null;

    private Trace() {}

    public static void mark(String phase) {
        if (ON) {
            long sinceStart = System.currentTimeMillis()
                    - ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
            System.err.println("arbor-provider trace: " + phase + " at " + sinceStart + " ms since JVM start");
        }
    }
}
