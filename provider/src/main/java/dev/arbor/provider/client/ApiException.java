package dev.arbor.provider.client;

/** A non-2xx answer in Neon's {@code {code, message, request_id}} shape. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String requestId;

    public ApiException(int status, String code, String message, String requestId) {
        super(message);
        this.status = status;
        this.code = code;
        this.requestId = requestId;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String requestId() {
        return requestId;
    }

    public boolean notFound() {
        return status == 404;
    }

    public String describe(String method, String path) {
        return method + " " + path + " returned HTTP " + status + (code == null || code.isEmpty() ? "" : " " + code)
                + ": " + getMessage() + (requestId == null ? "" : " (request_id " + requestId + ")");
    }
}
