package dev.arbor.backend.compute.volume;

import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;

import java.nio.ByteBuffer;
import java.util.Set;

/**
 * Times every callback of a {@link FuseOperations} into {@link FuseOpStats}: two {@code nanoTime} calls and
 * one histogram record per operation, no allocation. Operations the wrapped filesystem does not support are
 * never called by jfuse (it registers only {@link #supportedOperations()}).
 */
final class TimedFs implements FuseOperations {
    private final FuseOperations fs;
    private final FuseOpStats stats;

    TimedFs(FuseOperations fs, FuseOpStats stats) {
        this.fs = fs;
        this.stats = stats;
    }

    @Override public Errno errno() { return fs.errno(); }
    @Override public Set<Operation> supportedOperations() { return fs.supportedOperations(); }
    @Override public void init(FuseConnInfo conn, FuseConfig cfg) { fs.init(conn, cfg); }
    @Override public void destroy() { fs.destroy(); }

    @Override public int getattr(String path, Stat stat, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.getattr(path, stat, fi); } finally { stats.record(Operation.GET_ATTR, t0); }
    }

    @Override public int readlink(String path, ByteBuffer buf, long len) {
        long t0 = System.nanoTime();
        try { return fs.readlink(path, buf, len); } finally { stats.record(Operation.READLINK, t0); }
    }

    @Override public int mkdir(String path, int mode) {
        long t0 = System.nanoTime();
        try { return fs.mkdir(path, mode); } finally { stats.record(Operation.MKDIR, t0); }
    }

    @Override public int unlink(String path) {
        long t0 = System.nanoTime();
        try { return fs.unlink(path); } finally { stats.record(Operation.UNLINK, t0); }
    }

    @Override public int rmdir(String path) {
        long t0 = System.nanoTime();
        try { return fs.rmdir(path); } finally { stats.record(Operation.RMDIR, t0); }
    }

    @Override public int symlink(String linkname, String target) {
        long t0 = System.nanoTime();
        try { return fs.symlink(linkname, target); } finally { stats.record(Operation.SYMLINK, t0); }
    }

    @Override public int rename(String oldpath, String newpath, int flags) {
        long t0 = System.nanoTime();
        try { return fs.rename(oldpath, newpath, flags); } finally { stats.record(Operation.RENAME, t0); }
    }

    @Override public int chmod(String path, int mode, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.chmod(path, mode, fi); } finally { stats.record(Operation.CHMOD, t0); }
    }

    @Override public int chown(String path, int uid, int gid, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.chown(path, uid, gid, fi); } finally { stats.record(Operation.CHOWN, t0); }
    }

    @Override public int truncate(String path, long size, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.truncate(path, size, fi); } finally { stats.record(Operation.TRUNCATE, t0); }
    }

    @Override public int open(String path, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.open(path, fi); } finally { stats.record(Operation.OPEN, t0); }
    }

    @Override public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.read(path, buf, size, offset, fi); } finally { stats.record(Operation.READ, t0); }
    }

    @Override public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.write(path, buf, size, offset, fi); } finally { stats.record(Operation.WRITE, t0); }
    }

    @Override public int statfs(String path, Statvfs statvfs) {
        long t0 = System.nanoTime();
        try { return fs.statfs(path, statvfs); } finally { stats.record(Operation.STATFS, t0); }
    }

    @Override public int flush(String path, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.flush(path, fi); } finally { stats.record(Operation.FLUSH, t0); }
    }

    @Override public int release(String path, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.release(path, fi); } finally { stats.record(Operation.RELEASE, t0); }
    }

    @Override public int fsync(String path, int datasync, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.fsync(path, datasync, fi); } finally { stats.record(Operation.FSYNC, t0); }
    }

    @Override public int opendir(String path, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.opendir(path, fi); } finally { stats.record(Operation.OPEN_DIR, t0); }
    }

    @Override public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        long t0 = System.nanoTime();
        try { return fs.readdir(path, filler, offset, fi, flags); } finally { stats.record(Operation.READ_DIR, t0); }
    }

    @Override public int releasedir(String path, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.releasedir(path, fi); } finally { stats.record(Operation.RELEASE_DIR, t0); }
    }

    @Override public int fsyncdir(String path, int datasync, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.fsyncdir(path, datasync, fi); } finally { stats.record(Operation.FSYNCDIR, t0); }
    }

    @Override public int access(String path, int mask) {
        long t0 = System.nanoTime();
        try { return fs.access(path, mask); } finally { stats.record(Operation.ACCESS, t0); }
    }

    @Override public int create(String path, int mode, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.create(path, mode, fi); } finally { stats.record(Operation.CREATE, t0); }
    }

    @Override public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        long t0 = System.nanoTime();
        try { return fs.utimens(path, atime, mtime, fi); } finally { stats.record(Operation.UTIMENS, t0); }
    }
}
