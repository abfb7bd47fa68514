package dev.arbor.backend.compute.process;

import dev.arbor.storage.FileTree;
import dev.arbor.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A freshly initdb'ed cluster, made once on local disk and copied into each new root timeline. Copying
 * through the FileTree API skips FUSE for the bulk write (initdb over FUSE is 2-3x slower).
 */
public final class ClusterTemplate {
    private static final Logger log = LoggerFactory.getLogger(ClusterTemplate.class);
    /** The superuser compute uses over its private unix socket (Neon's name). */
    public static final String ADMIN_ROLE = "cloud_admin";
    private static final String READY = "arbor-template.ok";

    private final PgInstall pg;
    private final Path dir;

    public ClusterTemplate(PgInstall pg, Path dir) {
        this.pg = pg;
        this.dir = dir;
    }

    /** Runs initdb once (kept across restarts; a half-made template is redone). */
    public synchronized Path ensure() throws IOException {
        if (Files.exists(dir.resolve(READY))) return dir;
        deleteTree(dir);
        Files.createDirectories(dir.getParent());
        Files.createDirectories(dir);
        chown(dir);
        var r = Procs.run(pg.builder("initdb", List.of("-D", dir.toString(), "-U", ADMIN_ROLE,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
                "--no-instructions")), null, 300);
        if (r.exit() != 0) throw new IOException("initdb failed (" + r.exit() + "):\n" + r.output());
        // Clients come through the proxy over loopback TCP and authenticate with SCRAM; only compute
        // itself uses the unix socket, which lives in a directory no one else can enter.
        Files.writeString(dir.resolve("pg_hba.conf"), """
                # Arbor endpoint: clients arrive via the proxy on loopback; compute administers over its private socket.
                local   all   all                  trust
                host    all   all   127.0.0.1/32   scram-sha-256
                host    all   all   ::1/128        scram-sha-256
                """);
        Files.writeString(dir.resolve("postgresql.conf"), """

                # --- Arbor endpoint defaults (per-endpoint settings come as -c options) ---
                password_encryption = scram-sha-256
                hot_standby = on
                recovery_init_sync_method = syncfs
                wal_init_zero = off
                wal_recycle = off
                wal_level = replica
                max_connections = 100
                shared_buffers = 128MB
                log_line_prefix = '%m [%p] '
                """, StandardOpenOption.APPEND);
        Files.writeString(dir.resolve(READY), "ok\n");
        log.info("initdb template ready at {}", dir);
        return dir;
    }

    /** Copies the template into an empty writable tree and makes it durable. */
    public void copyInto(FileTree tree) throws IOException {
        Path src = ensure();
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                String rel = src.relativize(p).toString();
                if (rel.equals(READY)) continue;
                String path = "/" + rel;
                int mode = mode(p);
                if (Files.isDirectory(p)) {
                    if (rel.isEmpty()) tree.chmod("/", 0700);
                    else mkdirIfAbsent(tree, path, mode);
                } else {
                    var attr = tree.create(path, mode);
                    try (FileChannel ch = FileChannel.open(p)) {
                        ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
                        long off = 0;
                        while (ch.read(buf.clear()) > 0) {
                            buf.flip();
                            int n = buf.remaining();
                            tree.write(attr.inode(), off, buf);
                            off += n;
                        }
                    }
                }
            }
        }
        tree.sync();
    }

    private static void mkdirIfAbsent(FileTree tree, String path, int mode) {
        try {
            tree.mkdir(path, mode);
        } catch (StorageException.AlreadyExists e) {
            tree.chmod(path, mode);
        }
    }

    private static int mode(Path p) throws IOException {
        int m = 0;
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        for (PosixFilePermission perm : perms) m |= 1 << (8 - perm.ordinal());
        return m;
    }

    private void chown(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", pg.runAs().uid());
        Files.setAttribute(p, "unix:gid", pg.runAs().gid());
        Files.setPosixFilePermissions(p, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }
}
