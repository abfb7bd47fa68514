package dev.arbor.backend.compute.volume;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A Unix account's numeric ids, looked up in /etc/passwd (no JNI, no `id` process). */
public record OsAccount(String name, int uid, int gid) {

    public static OsAccount lookup(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length >= 4 && f[0].equals(name)) return new OsAccount(name, Integer.parseInt(f[2]), Integer.parseInt(f[3]));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /etc/passwd", e);
        }
        throw new IllegalStateException("OS user '" + name + "' does not exist; PostgreSQL needs an unprivileged user"
                + " (Debian's postgresql package creates 'postgres')");
    }

    /** The account this JVM runs as. */
    public static OsAccount current() {
        try {
            int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
            return new OsAccount(System.getProperty("user.name"), uid, gid);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read own uid", e);
        }
    }

    public boolean isRoot() { return uid == 0; }
}
