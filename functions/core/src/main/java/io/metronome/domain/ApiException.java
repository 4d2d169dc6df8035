package io.metronome.domain;

import java.util.List;

/** A domain error the API maps to a status code and an error code from the contract. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final List<ErrorDetail> details;

    public ApiException(int status, String code, String message, List<ErrorDetail> details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<ErrorDetail> details() {
        return details;
    }

    /** One problem with the input, located by its JSON path (for example {@code definition.nodes[2].config}). */
    public record ErrorDetail(String path, String message) {
    }

    public static ApiException validation(List<ErrorDetail> details) {
        String first = details.isEmpty() ? "invalid input" : details.get(0).path() + ": " + details.get(0).message();
        String more = details.size() > 1 ? " (and " + (details.size() - 1) + " more)" : "";
        return new ApiException(400, "validation_error", first + more, details);
    }

    public static ApiException validation(String path, String message) {
        return validation(List.of(new ErrorDetail(path, message)));
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "not_found", what + " not found", List.of());
    }

    public static ApiException invalidState(String message) {
        return new ApiException(409, "invalid_state", message, List.of());
    }
}
