package dev.arbor.backend.api;

/** A client-visible error: rendered as Neon's {@code {code, message, request_id}} with {@code status}. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() { return status; }
    public String code() { return code; }

    public static ApiException badRequest(String message) { return new ApiException(400, "BAD_REQUEST", message); }
    public static ApiException unauthorized(String message) { return new ApiException(401, "UNAUTHORIZED", message); }
    public static ApiException forbidden(String message) { return new ApiException(403, "FORBIDDEN", message); }
    public static ApiException notFound(String message) { return new ApiException(404, "NOT_FOUND", message); }
    public static ApiException conflict(String message) { return new ApiException(409, "CONFLICT", message); }
    public static ApiException preconditionFailed(String message) { return new ApiException(412, "PRECONDITION_FAILED", message); }
    public static ApiException tooLarge(String message) { return new ApiException(413, "PAYLOAD_TOO_LARGE", message); }
    public static ApiException quota(String code, String message) { return new ApiException(422, code, message); }
    public static ApiException locked(String message) { return new ApiException(423, "LOCKED", message); }
    public static ApiException tooManyRequests(String message) { return new ApiException(429, "TOO_MANY_REQUESTS", message); }
}
