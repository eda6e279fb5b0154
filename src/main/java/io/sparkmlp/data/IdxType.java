package io.sparkmlp.data;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The element types an IDX header can declare (third byte of the magic number). */
public enum IdxType {
    UBYTE(0x08, "ubyte", 1),
    BYTE(0x09, "byte", 1),
    SHORT(0x0B, "short", 2),
    INT(0x0C, "int", 4),
    FLOAT(0x0D, "float", 4),
    DOUBLE(0x0E, "double", 8);

    private final int code;
    private final String typeName;
    private final int elementBytes;

    IdxType(int code, String typeName, int elementBytes) {
        this.code = code;
        this.typeName = typeName;
        this.elementBytes = elementBytes;
    }

    public int code() {
        return code;
    }

    public String typeName() {
        return typeName;
    }

    public int elementBytes() {
        return elementBytes;
    }

    /** The type with this code, or null when the code is not an IDX type. */
    public static IdxType ofCode(int code) {
        for (IdxType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** "0x08 ubyte, 0x09 byte, ..." for error messages. */
    public static String knownCodes() {
        return Arrays.stream(values()).map(IdxType::toString).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return String.format("0x%02X %s", code, typeName);
    }
}
