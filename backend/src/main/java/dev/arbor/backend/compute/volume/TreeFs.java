package dev.arbor.backend.compute.volume;

import dev.arbor.storage.DirEntry;
import dev.arbor.storage.FileAttr;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.StorageException;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * jfuse callbacks over one timeline's {@link FileTree}: the filesystem an endpoint's PostgreSQL runs on.
 * The file handle of an open file is its inode, so reads and writes skip path resolution.
 *
 * <p>Every file is presented as owned by the postgres OS user (the store keeps permission bits only);
 * PostgreSQL insists its data directory belongs to the user it runs as.
 */
final class TreeFs implements FuseOperations {
    private static final Logger log = LoggerFactory.getLogger(TreeFs.class);
    private static final int RENAME_NOREPLACE = 1;
    /** Linux's O_DSYNC (O_SYNC includes it), in the flags the kernel passes with each write. */
    private static final int O_DSYNC = 010000;

    private final FileTree tree;
    private final Errno errno;
    private final Errnos errnos;
    private final int uid;
    private final int gid;
    private final FileStore backingStore;
    private final LocalWal wal;  // null: pg_wal is in the tree like every other directory

    TreeFs(FileTree tree, Errno errno, int uid, int gid, FileStore backingStore, LocalWal wal) {
        this.tree = tree;
        this.errno = errno;
        this.errnos = new Errnos(errno);
        this.uid = uid;
        this.gid = gid;
        this.backingStore = backingStore;
        this.wal = wal;
    }

    /**
     * Before any change reaches the store, the WAL postgres wrote so far does (see {@link LocalWal}): a data page is
     * written out only after the WAL that describes it was flushed, so the store never holds a page without its WAL.
     */
    private void walFirst() {
        if (wal != null) wal.catchUp();
    }

    private boolean isWalLink(String path) {
        return wal != null && path.equals(LocalWal.STORE_DIR);
    }

    @Override public Errno errno() { return errno; }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.INIT, Operation.GET_ATTR, Operation.ACCESS, Operation.OPEN_DIR, Operation.READ_DIR,
                Operation.RELEASE_DIR, Operation.FSYNCDIR, Operation.MKDIR, Operation.CREATE, Operation.OPEN,
                Operation.READ, Operation.WRITE, Operation.TRUNCATE, Operation.FLUSH, Operation.RELEASE,
                Operation.FSYNC, Operation.RENAME, Operation.UNLINK, Operation.RMDIR, Operation.CHMOD,
                Operation.CHOWN, Operation.UTIMENS, Operation.STATFS, Operation.READLINK);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        int want = conn.want();
        // The daemon is the only writer, so the kernel may cache pages and batch writes (measured: rw 0.45x -> 0.7x native).
        if (!tree.readOnly()) want |= conn.capable() & FuseConnInfo.FUSE_CAP_WRITEBACK_CACHE;
        want |= conn.capable() & (FuseConnInfo.FUSE_CAP_ASYNC_READ | FuseConnInfo.FUSE_CAP_PARALLEL_DIROPS);
        conn.setWant(want);
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        try {
            if (isWalLink(path)) {
                FileAttr a = tree.stat("/");
                fill(stat, a);
                stat.setMode(Stat.S_IFLNK | 0777);
                stat.setNLink((short) 1);
                stat.setSize(wal.dir().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
                return 0;
            }
            fill(stat, tree.stat(path));
            return 0;
        } catch (RuntimeException e) {
            return fail("getattr", path, e);
        }
    }

    private void fill(Stat stat, FileAttr a) {
        stat.setMode((a.directory() ? Stat.S_IFDIR : Stat.S_IFREG) | (a.mode() & 07777));
        stat.setUid(uid);
        stat.setGid(gid);
        stat.setNLink((short) (a.directory() ? 2 : 1));
        stat.setSize(a.size());
        Instant t = Instant.ofEpochMilli(a.mtimeMillis());
        stat.mTime().set(t);
        stat.cTime().set(t);
        stat.aTime().set(t);
    }

    @Override
    public int readlink(String path, ByteBuffer buf, long len) {
        if (!isWalLink(path)) return -errno.einval();
        byte[] target = wal.dir().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = (int) Math.min(target.length, Math.min(len, buf.remaining()) - 1);
        if (n < 0) return -errno.enametoolong();
        buf.put(buf.position(), target, 0, n).put(buf.position() + n, (byte) 0);
        return 0;
    }

    @Override public int access(String path, int mask) { return 0; } // default_permissions: the kernel checks modes

    @Override public int opendir(String path, FileInfo fi) { return 0; }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        try {
            var entries = tree.list(path);
            filler.fill(".", s -> {}, 0, 0);
            filler.fill("..", s -> {}, 0, 0);
            for (DirEntry e : entries) {
                if (filler.fill(e.name(), s -> {}, 0, 0) != 0) break;
            }
            return 0;
        } catch (RuntimeException e) {
            return fail("readdir", path, e);
        }
    }

    @Override public int releasedir(String path, FileInfo fi) { return 0; }

    @Override
    public int fsyncdir(String path, int datasync, FileInfo fi) { return sync("fsyncdir", path); }

    @Override
    public int mkdir(String path, int mode) {
        try {
            walFirst();
            tree.mkdir(path, mode & 07777);
            return 0;
        } catch (RuntimeException e) {
            return fail("mkdir", path, e);
        }
    }

    @Override
    public int create(String path, int mode, FileInfo fi) {
        try {
            walFirst();
            FileAttr a;
            try {
                a = tree.create(path, mode & 07777);
            } catch (StorageException.AlreadyExists e) {
                if (fi.getOpenFlags().contains(StandardOpenOption.CREATE_NEW)) return errnos.eexist();
                a = tree.stat(path);
                if (fi.getOpenFlags().contains(StandardOpenOption.TRUNCATE_EXISTING)) tree.truncate(a.inode(), 0);
            }
            fi.setFh(a.inode());
            walDirect(path, fi);
            return 0;
        } catch (RuntimeException e) {
            return fail("create", path, e);
        }
    }

    @Override
    public int open(String path, FileInfo fi) {
        try {
            FileAttr a = tree.stat(path);
            if (a.directory()) return -errno.eisdir();
            var flags = fi.getOpenFlags();
            if (tree.readOnly() && (flags.contains(StandardOpenOption.WRITE) || flags.contains(StandardOpenOption.APPEND)))
                return errnos.erofs();
            fi.setFh(a.inode());
            walDirect(path, fi);
            return 0;
        } catch (RuntimeException e) {
            return fail("open", path, e);
        }
    }

    /**
     * WAL bypasses the kernel's page cache. Endpoints write it with {@code O_DSYNC} ({@code wal_sync_method =
     * open_datasync}), so a commit is one FUSE write that the daemon makes durable before answering, where the
     * writeback cache made it a write-back of the dirty WAL page and then a separate FSYNC round trip. Nothing else
     * reads WAL while postgres runs, so the cache gained nothing there.
     */
    private void walDirect(String path, FileInfo fi) {
        if (!tree.readOnly() && path.startsWith("/pg_wal/")) DirectIo.set(fi);
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        try {
            int want = (int) Math.min(size, buf.remaining());
            ByteBuffer dst = buf.slice(buf.position(), want);
            int total = 0;
            // FUSE (without direct_io) treats a short read as EOF, so fill the buffer unless the file ends.
            while (dst.hasRemaining()) {
                int n = tree.read(fi.getFh(), offset + total, dst);
                if (n <= 0) break;
                total += n;
            }
            return total;
        } catch (RuntimeException e) {
            return fail("read", path, e);
        }
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        try {
            walFirst();
            int n = (int) Math.min(size, buf.remaining());
            tree.write(fi.getFh(), offset, buf.slice(buf.position(), n));
            // A write to a file opened O_DSYNC / O_SYNC must be durable when it returns (POSIX); with direct_io the
            // kernel passes the flag on and sends no FSYNC after it.
            if ((fi.getFlags() & O_DSYNC) != 0) tree.sync();
            return n;
        } catch (RuntimeException e) {
            return fail("write", path, e);
        }
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        try {
            walFirst();
            long inode = fi != null ? fi.getFh() : tree.stat(path).inode();
            tree.truncate(inode, size);
            return 0;
        } catch (RuntimeException e) {
            return fail("truncate", path, e);
        }
    }

    @Override public int flush(String path, FileInfo fi) { return 0; }

    @Override public int release(String path, FileInfo fi) { return 0; }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) { return sync("fsync", path); }

    private int sync(String op, String path) {
        if (tree.readOnly()) return 0;
        try {
            walFirst();
            tree.sync();
            return 0;
        } catch (RuntimeException e) {
            return fail(op, path, e);
        }
    }

    @Override
    public int rename(String oldpath, String newpath, int flags) {
        try {
            if ((flags & ~RENAME_NOREPLACE) != 0) return errnos.einval(); // RENAME_EXCHANGE/WHITEOUT: PG never asks
            if (isWalLink(oldpath) || isWalLink(newpath)) return -errno.eacces();
            walFirst();
            if ((flags & RENAME_NOREPLACE) != 0 && tree.exists(newpath)) return errnos.eexist();
            tree.rename(oldpath, newpath);
            return 0;
        } catch (RuntimeException e) {
            return fail("rename", oldpath, e);
        }
    }

    @Override
    public int unlink(String path) {
        try {
            walFirst();
            tree.unlink(path);
            return 0;
        } catch (RuntimeException e) {
            return fail("unlink", path, e);
        }
    }

    @Override
    public int rmdir(String path) {
        try {
            walFirst();
            tree.rmdir(path);
            return 0;
        } catch (RuntimeException e) {
            return fail("rmdir", path, e);
        }
    }

    @Override
    public int chmod(String path, int mode, FileInfo fi) {
        try {
            walFirst();
            tree.chmod(path, mode & 07777);
            return 0;
        } catch (RuntimeException e) {
            return fail("chmod", path, e);
        }
    }

    /** Ownership is not stored: everything belongs to the postgres user. Accepting keeps tools like cp -a happy. */
    @Override
    public int chown(String path, int uid, int gid, FileInfo fi) {
        try {
            tree.stat(path);
            return 0;
        } catch (RuntimeException e) {
            return fail("chown", path, e);
        }
    }

    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        try {
            if (mtime.isUtimeOmit()) return 0;
            long millis = mtime.isUtimeNow() ? System.currentTimeMillis() : mtime.get().toEpochMilli();
            walFirst();
            tree.setMtime(path, millis);
            return 0;
        } catch (RuntimeException e) {
            return fail("utimens", path, e);
        }
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        // Report the space of the filesystem that holds the store: that is where writes end up.
        long bsize = 4096;
        long total = 1L << 40, free = 1L << 39;
        try {
            if (backingStore != null) {
                total = backingStore.getTotalSpace();
                free = backingStore.getUsableSpace();
            }
        } catch (IOException ignored) {
            // keep the generous defaults
        }
        statvfs.setBsize(bsize);
        statvfs.setFrsize(bsize);
        statvfs.setBlocks(total / bsize);
        statvfs.setBfree(free / bsize);
        statvfs.setBavail(free / bsize);
        statvfs.setNameMax(255);
        return 0;
    }

    private int fail(String op, String path, RuntimeException e) {
        int code = errnos.of(e);
        if (!(e instanceof StorageException.NotFound) && !(e instanceof StorageException.AlreadyExists)
                && !(e instanceof StorageException.NotEmpty)) {
            if (e instanceof StorageException.ReadOnly) log.debug("{} {}: {}", op, path, e.getMessage());
            else log.warn("{} {} failed: {}", op, path, e.toString(), e);
        }
        return code;
    }
}
