package dev.arbor.backend.compute.volume;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The kernel side of FUSE mounts: listing, unmounting (also stale ones left by a crash) and BDI tuning. */
public final class Mounts {
    private static final Logger log = LoggerFactory.getLogger(Mounts.class);

    private Mounts() {}

    /** Mount points of FUSE filesystems this project made (fsname arbor-*), from /proc/self/mountinfo. */
    public static List<Path> arborMounts() {
        List<Path> out = new ArrayList<>();
        for (String[] m : mountinfo()) {
            if (m[1].startsWith("fuse") && m[2].startsWith("arbor-")) out.add(Path.of(m[0]));
        }
        return out;
    }

    public static boolean isMounted(Path dir) {
        String p = dir.toAbsolutePath().normalize().toString();
        for (String[] m : mountinfo()) if (m[0].equals(p)) return true;
        return false;
    }

    /** Detaches a mount left behind by a crashed daemon (every access gives ENOTCONN) so it can be reused. */
    public static void unmountStale(Path dir) {
        if (isMounted(dir)) {
            log.warn("clearing stale mount at {}", dir);
            unmount(dir, true);
        }
    }

    /** {@code fusermount3 -u} (lazy with {@code -z}); quiet when nothing is mounted there. */
    public static void unmount(Path dir, boolean lazy) {
        if (!isMounted(dir)) return;
        List<String> cmd = new ArrayList<>(List.of("fusermount3", "-u", "-q"));
        if (lazy) cmd.add("-z");
        cmd.add(dir.toAbsolutePath().toString());
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            if (p.exitValue() != 0 && isMounted(dir) && !lazy) {
                log.warn("fusermount3 -u {} failed ({}); detaching lazily", dir, out);
                unmount(dir, true);
            }
        } catch (IOException e) {
            throw new IllegalStateException("fusermount3 is missing (Debian package fuse3; scripts/install-deps)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * FUSE mounts get a strict 1% share of the dirty page limit by default, which throttles PostgreSQL's
     * buffered writes; lifting it was worth ~10% rw TPS in the prototype. Best effort (needs root, kernel 6.2+).
     */
    static void raiseDirtyLimit(Path mountPoint) {
        try {
            String dev = null;
            String p = mountPoint.toAbsolutePath().normalize().toString();
            for (String[] m : mountinfo()) if (m[0].equals(p)) dev = m[3];
            if (dev == null) return;
            Path bdi = Path.of("/sys/class/bdi", dev);
            if (Files.isWritable(bdi.resolve("strict_limit"))) Files.writeString(bdi.resolve("strict_limit"), "0");
            if (Files.isWritable(bdi.resolve("max_ratio"))) Files.writeString(bdi.resolve("max_ratio"), "40");
        } catch (IOException | RuntimeException e) {
            log.debug("cannot tune FUSE bdi for {}: {}", mountPoint, e.toString());
        }
    }

    /** Rows of (mount point, fs type, source, major:minor). */
    private static List<String[]> mountinfo() {
        List<String[]> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = line.indexOf(" - ");
                if (f.length < 5 || dash < 0) continue;
                String[] tail = line.substring(dash + 3).split(" ");
                rows.add(new String[]{unescape(f[4]), tail[0], tail.length > 1 ? tail[1] : "", f[2]});
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/mountinfo", e);
        }
        return rows;
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
