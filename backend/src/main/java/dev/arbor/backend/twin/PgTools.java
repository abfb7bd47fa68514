package dev.arbor.backend.twin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * PostgreSQL client tools (pg_dump, pg_restore, psql) for an import. They are clients, so they run as this
 * process's user; the password reaches them only through a private (0600) passfile, never the command
 * line or the environment, and their output is scrubbed before it goes into an error.
 */
final class PgTools {
    /** Tail of a tool's output kept for the error message. */
    private static final int TAIL = 12;

    private final Path binDir;

    PgTools(Path binDir) { this.binDir = binDir; }

    /** A failed tool: the message is its last lines of output. */
    static final class ToolFailure extends IOException {
        ToolFailure(String message) { super(message); }
    }

    /** Writes {@code dir/name} (mode 0600) so any host/port/database/user is answered with {@code password}. */
    static Path passfile(Path dir, String name, String password) throws IOException {
        Path f = dir.resolve(name);
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String escaped = password == null ? "" : password.replace("\\", "\\\\").replace(":", "\\:");
        Files.writeString(f, "*:*:*:*:" + escaped + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        return f;
    }

    /**
     * Runs {@code tool args}, feeding {@code stdin} (may be null), handing each output line (stdout and
     * stderr merged) to {@code lines}; throws {@link ToolFailure} with the scrubbed tail on a non-zero exit.
     */
    String run(String tool, List<String> args, Path passfile, String stdin, long timeoutSeconds,
               Consumer<String> lines, java.util.function.UnaryOperator<String> scrub) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binDir.resolve(tool).toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().put("LC_ALL", "C");
        if (passfile != null) pb.environment().put("PGPASSFILE", passfile.toString());
        Process p = pb.start();
        Deque<String> tail = new ArrayDeque<>();
        StringBuilder all = new StringBuilder();
        // output is read on its own thread so this one waits interruptibly: at shutdown the executor's
        // interrupt ends the tool (and pg_dump's/pg_restore's workers) instead of leaving it running
        Thread reader = Thread.ofVirtual().name("pg-tool-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    try {
                        if (lines != null) lines.accept(line);
                    } catch (RuntimeException e) {
                        // a progress update failed (metadata busy): keep draining, the tool must not block
                    }
                    synchronized (tail) {
                        if (all.length() < 1 << 16) all.append(line).append('\n');
                        tail.addLast(line);
                        if (tail.size() > TAIL) tail.removeFirst();
                    }
                }
            } catch (IOException e) {
                // the tool died; its exit code tells
            }
        });
        try {
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) throw new ToolFailure(tool + " timed out after " + timeoutSeconds + " s");
            reader.join();
            synchronized (tail) {
                if (p.exitValue() != 0) {
                    List<String> relevant = tail.stream().filter(l -> !l.contains(": processing ") && !l.contains(": launching ")
                            && !l.contains(": finished item") && !l.contains(": creating ") && !l.contains(": dumping contents")).toList();
                    String msg = String.join("; ", relevant.isEmpty() ? List.copyOf(tail) : relevant).strip();
                    throw new ToolFailure(scrub.apply(tool + " failed (exit " + p.exitValue() + "): " + msg));
                }
                return all.toString();
            }
        } finally {
            if (p.isAlive()) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }
}
