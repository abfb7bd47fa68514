package dev.arbor.backend.pg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL refuses to run as root, and so do we: when this JVM runs as root, every PostgreSQL
 * command runs as the unprivileged {@code postgres} OS user and the directories it writes are owned by it.
 */
public final class OsUser {
    public static final String POSTGRES = "postgres";

    private OsUser() {}

    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** The command line that runs {@code command} as the postgres user when we are root, unchanged otherwise. */
    public static List<String> asPostgres(List<String> command) {
        if (!isRoot()) return command;
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", POSTGRES, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Gives {@code path} to the postgres user (no-op unless root). */
    public static void chownToPostgres(Path path) throws IOException {
        if (!isRoot()) return;
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(lookup.lookupPrincipalByName(POSTGRES));
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(POSTGRES);
        view.setGroup(group);
    }

    /**
     * The postgres user must be able to traverse every ancestor of its data directory; a private
     * temp dir (0700, root) is the usual culprit. Fails with a message naming the directory.
     */
    public static void checkTraversable(Path dir) {
        if (!isRoot()) return;
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            try {
                var perms = Files.getPosixFilePermissions(p);
                if (!perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new IllegalStateException("directory " + p + " is not traversable by the '" + POSTGRES
                            + "' OS user (mode lacks o+x); PostgreSQL cannot reach " + dir
                            + ". Use a data dir under a world-traversable path or chmod o+x " + p);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read permissions of " + p, e);
            }
        }
    }
}
