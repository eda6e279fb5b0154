package io.sparkmlp.data;

/** A malformed or inconsistent IDX file; the message is one line that names the file and the numbers. */
public class IdxFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public IdxFormatException(String message) {
        super(message);
    }

    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
