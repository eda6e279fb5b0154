package io.sparkmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class IdxHeaderTest {

    private static IdxFormatException parseFails(byte[] bytes) {
        return assertThrows(IdxFormatException.class, () -> IdxHeader.read(new ByteArrayInputStream(bytes), "bad.idx"));
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
        assertTrue(!e.getMessage().contains("\n"), "the message is one line");
    }

    @Test
    void everyKnownTypeRoundTripsWithItsCodeAndElementSize() throws IOException {
        int[][] expected = {{0x08, 1}, {0x09, 1}, {0x0B, 2}, {0x0C, 4}, {0x0D, 4}, {0x0E, 8}};
        IdxType[] types = IdxType.values();
        assertEquals(expected.length, types.length);
        for (int i = 0; i < types.length; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new IdxHeader(types[i], 5, 3, 2).write(out);
            IdxHeader h = IdxHeader.read(new ByteArrayInputStream(out.toByteArray()), "t.idx");
            assertEquals(expected[i][0], h.typeCode());
            assertEquals(types[i], h.type());
            assertArrayEquals(new int[] {5, 3, 2}, h.dims());
            assertEquals(16, h.headerBytes());
            assertEquals(30L * expected[i][1], h.dataBytes());
        }
    }

    @Test
    void dimensionsAreReadAsUnsignedBigEndian() throws IOException {
        byte[] b = {0, 0, 0x08, 1, 0x00, 0x00, (byte) 0xEA, 0x60}; // 60000
        assertEquals(60000, IdxHeader.read(new ByteArrayInputStream(b), "t.idx").dim(0));
    }

    @Test
    void emptyFileSaysItIsEmptyWithZeroBytes() {
        assertMessage(parseFails(new byte[0]), "bad.idx", "empty (0 bytes)");
    }

    @Test
    void headerShorterThanFourBytesGivesTheBytesHeld() {
        assertMessage(parseFails(new byte[] {0, 0, 8}), "bad.idx", "header truncated", "holds 3 bytes");
    }

    @Test
    void headerCutInsideTheDimensionsGivesTheBytesNeededAndHeld() {
        assertMessage(parseFails(new byte[] {0, 0, 8, 3, 0, 0, 0, 7, 0}), "bad.idx", "rank 3 needs 16 header bytes",
                "holds 9");
    }

    @Test
    void wrongMagicPrintsTheBytesInHexAndWhatWasExpected() {
        assertMessage(parseFails(new byte[] {0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1}), "bad.idx", "50 4b 03 04",
                "expected 00 00");
    }

    @Test
    void unknownTypeCodePrintsItInHexAndListsTheKnownOnes() {
        assertMessage(parseFails(new byte[] {0, 0, 0x0A, 1, 0, 0, 0, 1}), "bad.idx", "unknown type code 0x0A",
                "0x08 ubyte", "0x09 byte", "0x0B short", "0x0C int", "0x0D float", "0x0E double");
    }

    @Test
    void zeroDimensionNamesItsIndexAndAllDims() {
        assertMessage(parseFails(new byte[] {0, 0, 8, 2, 0, 0, 0, 7, 0, 0, 0, 0}), "bad.idx", "dimension 1 is 0",
                "7 x 0");
    }

    @Test
    void rankZeroIsRejected() {
        assertMessage(parseFails(new byte[] {0, 0, 8, 0}), "bad.idx", "rank 0");
    }

    @Test
    void dimensionAboveIntRangeIsRejectedWithItsValue() {
        assertMessage(parseFails(new byte[] {0, 0, 8, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}),
                "bad.idx", "4294967295");
    }

    @Test
    void byteCountOverflowIsReportedWithTheDims() {
        byte[] b = {0, 0, 0x0E, 3, 0x7F, -1, -1, -1, 0x7F, -1, -1, -1, 0x7F, -1, -1, -1};
        assertMessage(parseFails(b), "bad.idx", "2147483647 x 2147483647 x 2147483647", "overflow");
    }

    @Test
    void sizeMismatchGivesThePromiseAndWhatTheFileHolds() {
        IdxHeader h = new IdxHeader(IdxType.UBYTE, 60000, 28, 28);
        assertMessage(h.sizeMismatch("train-images-idx3-ubyte.gz", 47039000),
                "train-images-idx3-ubyte.gz: the header promises 60000 x 28 x 28 = 47040000 data bytes, the file holds 47039000",
                "1000 bytes missing");
        assertMessage(new IdxHeader(IdxType.FLOAT, 2, 3).sizeMismatch("f", 30), "2 x 3 x 4 = 24", "6 trailing bytes");
    }

    @Test
    void constructorRejectsZeroDimensionsWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new IdxHeader(IdxType.UBYTE, 4, 0));
        assertMessage(e, "dimension 1", "got 0");
    }
}
