package dev.arbor.backend.cli;

/** A failure the CLI reports as {@code arbor: <message>} with a non-zero exit code. */
public final class CliError extends RuntimeException {
    /** The API refused the request, or could not be reached. */
    public static final int API = 1;
    /** Bad command-line input found after parsing (e.g. an unknown branch name). */
    public static final int USAGE = 2;
    /** An operation the command waited for failed. */
    public static final int OPERATION = 3;

    private final int exitCode;

    public CliError(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() { return exitCode; }
}
