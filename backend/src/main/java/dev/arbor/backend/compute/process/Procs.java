package dev.arbor.backend.compute.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small process helpers: run-to-completion with captured output, signals by pid. */
public final class Procs {
    private Procs() {}

    public record Result(int exit, String output) {}

    /** Runs to completion, stdin from {@code input} (may be null), stdout+stderr captured. */
    public static Result run(ProcessBuilder pb, String input, long timeoutSeconds) throws IOException {
        pb.redirectErrorStream(true);
        Process p = pb.start();
        try {
            if (input != null) p.getOutputStream().write(input.getBytes());
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeoutSeconds + " s: " + String.join(" ", pb.command()));
            }
            return new Result(p.exitValue(), new String(out));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Sends a signal (INT, QUIT, KILL, ...) by pid; false if there is no such process. */
    public static boolean signal(long pid, String sig) {
        try {
            Process p = new ProcessBuilder("kill", "-s", sig, Long.toString(pid)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The process' command line with NULs as spaces, or "" if it is gone. */
    public static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"))).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    public static List<String> lines(String s) { return s.lines().toList(); }
}
