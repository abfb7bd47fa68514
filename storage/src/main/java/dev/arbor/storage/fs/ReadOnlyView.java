package dev.arbor.storage.fs;

import dev.arbor.storage.*;

import java.nio.ByteBuffer;
import java.util.List;

/** A read-only view of a timeline's moving head: shares the writable tree's metadata, refuses every change. */
public final class ReadOnlyView implements FileTree {
    private final TimelineTree head;

    public ReadOnlyView(TimelineTree head) { this.head = head; }

    private StorageException.ReadOnly refuse() {
        return new StorageException.ReadOnly("read-only view of timeline " + head.timeline());
    }

    @Override public TimelineId timeline() { return head.timeline(); }
    @Override public boolean readOnly() { return true; }
    @Override public Lsn lsn() { return head.lsn(); }
    @Override public FileAttr stat(String path) { return head.stat(path); }
    @Override public List<DirEntry> list(String dir) { return head.list(dir); }
    @Override public int read(long inode, long offset, ByteBuffer dst) { return head.read(inode, offset, dst); }
    @Override public FileAttr mkdir(String path, int mode) { throw refuse(); }
    @Override public FileAttr create(String path, int mode) { throw refuse(); }
    @Override public void write(long inode, long offset, ByteBuffer src) { throw refuse(); }
    @Override public void truncate(long inode, long size) { throw refuse(); }
    @Override public void rename(String from, String to) { throw refuse(); }
    @Override public void unlink(String path) { throw refuse(); }
    @Override public void rmdir(String path) { throw refuse(); }
    @Override public void chmod(String path, int mode) { throw refuse(); }
    @Override public void setMtime(String path, long mtimeMillis) { throw refuse(); }
    @Override public void sync() { }
}
