package dev.arbor.backend.compute.volume;

import dev.arbor.storage.FileTree;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One timeline's {@link FileTree} mounted over FUSE at a directory: an endpoint's PGDATA.
 * Close unmounts. A crash of this JVM leaves a dead mount behind; {@link Mounts#unmountStale} clears it.
 */
public final class FuseVolume implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FuseVolume.class);
    /** Debian's libfuse3-3 ships only the versioned name; System.loadLibrary("fuse3") would need the -dev package. */
    private static final List<String> LIBFUSE = List.of(
            "/usr/lib/x86_64-linux-gnu/libfuse3.so.3", "/lib/x86_64-linux-gnu/libfuse3.so.3",
            "/usr/lib/aarch64-linux-gnu/libfuse3.so.3", "/usr/lib64/libfuse3.so.3", "/usr/lib/libfuse3.so.3");

    private final Path mountPoint;
    private final Fuse fuse;
    private final FileTree tree;
    private final LocalWal wal;

    private FuseVolume(Path mountPoint, Fuse fuse, FileTree tree, LocalWal wal) {
        this.mountPoint = mountPoint;
        this.fuse = fuse;
        this.tree = tree;
        this.wal = wal;
    }

    /**
     * Mounts {@code tree} at {@code mountPoint} (created if missing), presenting every file as owned by
     * {@code owner}. {@code storeDir} is where the store keeps its files (statfs reports its space).
     */
    public static FuseVolume mount(FileTree tree, Path mountPoint, OsAccount owner, Path storeDir) throws IOException {
        return mount(tree, mountPoint, owner, storeDir, null, null);
    }

    /**
     * As above, timing every FUSE callback into {@code stats} (null: untimed). With {@code wal} (a read-write
     * endpoint's), {@code /pg_wal} is a symlink to its local directory, and it is closed (copied in) with the volume.
     */
    public static FuseVolume mount(FileTree tree, Path mountPoint, OsAccount owner, Path storeDir, FuseOpStats stats,
                                   LocalWal wal) throws IOException {
        Mounts.unmountStale(mountPoint);
        Files.createDirectories(mountPoint);
        FuseBuilder builder = Fuse.builder();
        builder.setLibraryPath(libfuse());
        FileStore backing = storeDir == null ? null : Files.getFileStore(storeDir);
        var fs = new TreeFs(tree, builder.errno(), owner.uid(), owner.gid(), backing, wal);
        Fuse fuse = builder.build(stats == null ? fs : new TimedFs(fs, stats));
        List<String> opts = new ArrayList<>(List.of(
                // allow_other: postgres (another OS user) must reach the files; default_permissions: the kernel
                // enforces the modes we present. The daemon is the only writer, so long kernel cache timeouts are safe.
                "allow_other", "default_permissions", "kernel_cache",
                "attr_timeout=3600", "entry_timeout=3600", "negative_timeout=3600",
                "fsname=arbor-" + tree.timeline(), "subtype=arbor"));
        if (tree.readOnly()) opts.add("ro");
        try {
            fuse.mount("arbor", mountPoint, "-o", String.join(",", opts));
        } catch (FuseMountFailedException | RuntimeException e) {
            closeQuietly(fuse);
            throw new IOException("cannot mount timeline " + tree.timeline() + " at " + mountPoint + ": " + e.getMessage(), e);
        }
        Mounts.raiseDirtyLimit(mountPoint);
        log.info("mounted timeline {} at {}{}", tree.timeline(), mountPoint, tree.readOnly() ? " (read-only)" : "");
        return new FuseVolume(mountPoint, fuse, tree, wal);
    }

    private static String libfuse() {
        for (String p : LIBFUSE) if (Files.exists(Path.of(p))) return p;
        throw new IllegalStateException("libfuse3.so.3 not found (looked in " + LIBFUSE
                + "); install the Debian package libfuse3-3 (scripts/install-deps)");
    }

    public Path mountPoint() { return mountPoint; }

    public FileTree tree() { return tree; }

    /** Test hook for this process dying: the local WAL is no longer copied (see {@link LocalWal#abandonForTesting}). */
    public void abandonWalForTesting() {
        if (wal != null) wal.abandonForTesting();
    }

    /** Copies postgres' local WAL into the store and syncs (before a branch is taken at the head); no-op without one. */
    public void flushWal() {
        if (wal != null) wal.flush();
    }

    /** Unmounts. Processes still using the mount must be stopped first, or the kernel refuses (EBUSY). */
    @Override
    public void close() {
        if (wal != null) wal.close();  // postgres has stopped: the rest of its WAL goes into the store
        // fusermount3 -u makes the kernel flush and detach cleanly before the FUSE loop exits.
        Mounts.unmount(mountPoint, false);
        closeQuietly(fuse);
        log.info("unmounted {}", mountPoint);
    }

    private static void closeQuietly(Fuse fuse) {
        try {
            fuse.close();
        } catch (TimeoutException | RuntimeException e) {
            log.warn("closing FUSE session: {}", e.toString());
        }
    }
}
